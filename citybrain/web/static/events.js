/* events (一网统管) console: map, charts, workflow actions, citizen report form. No build step. */
window.CityEvents = (function () {
  'use strict';

  function problemText(body, lang) {
    if (Array.isArray(body) && body.length) return body[0].description;  // Open311 errors
    if (body && (body.detail || body.detail_zh)) return lang === 'en' ? body.detail : body.detail_zh;
    return 'error';
  }

  function caseMap(id, seriesName) {
    const el = document.getElementById(id);
    if (!el || !window.echarts) return;
    const counts = JSON.parse(el.dataset.counts || '{}');
    fetch('/api/v1/events/grids.geojson?simplify=0.0002').then(function (r) {
      if (!r.ok) throw new Error('no grids');
      return r.json();
    }).then(function (geo) {
      echarts.registerMap('citygrids', geo);
      const data = geo.features.map(function (f) {
        return {name: f.properties.name, value: counts[f.properties.name] || 0};
      });
      const max = Math.max(1, ...data.map(function (d) { return d.value; }));
      const chart = echarts.init(el);
      chart.setOption({
        tooltip: {trigger: 'item', formatter: function (p) { return p.name + ': ' + (p.value || 0); }},
        visualMap: {min: 0, max: max, left: 'left', bottom: 0, calculable: true,
                    inRange: {color: ['#eef3fb', '#7fa7ec', '#c0392b']}},
        series: [{type: 'map', map: 'citygrids', name: seriesName, roam: true, data: data,
                  itemStyle: {borderColor: '#ffffff', borderWidth: 0.3},
                  emphasis: {label: {show: false}}}]
      });
      chart.on('click', function (p) { if (p.name) location.href = '/events?grid=' + encodeURIComponent(p.name); });
      el.dataset.rendered = 'true';
      el.dataset.features = String(geo.features.length);
    }).catch(function () { el.dataset.rendered = 'empty'; });
  }

  function sourceChart(id, labels) {
    const el = document.getElementById(id);
    if (!el || !window.echarts) return;
    const data = JSON.parse(el.dataset.sources || '{}');
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: {trigger: 'item'},
      series: [{type: 'pie', radius: ['40%', '70%'],
                data: Object.keys(data).map(function (k) { return {name: labels[k] || k, value: data[k]}; })}]
    });
    el.dataset.rendered = 'true';
  }

  function trendChart(id) {
    const el = document.getElementById(id);
    if (!el || !window.echarts) return;
    const trend = JSON.parse(el.dataset.trend || '{}');
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: {trigger: 'axis'}, legend: {},
      xAxis: {type: 'time'}, yAxis: {type: 'value', min: 0, max: 100},
      series: Object.keys(trend).map(function (k) { return {name: k, type: 'line', data: trend[k]}; })
    });
    el.dataset.rendered = 'true';
  }

  function caseActions(lang) {
    const form = document.getElementById('action-form');
    const msg = document.getElementById('action-msg');
    if (!form) return;
    let action = null;
    document.querySelectorAll('#actions button[data-action]').forEach(function (btn) {
      btn.addEventListener('click', function () {
        action = btn.dataset.action;
        document.getElementById('action-name').textContent = btn.textContent;
        form.hidden = false;
        msg.textContent = '';
      });
    });
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      const f = new FormData(form);
      const body = {version: Number(form.dataset.version), actor: f.get('actor'),
                    note: f.get('note') || '', reason: f.get('reason') || '',
                    approver: f.get('approver') || '',
                    attachments: (f.get('attachments') || '').split(/[\s,]+/).filter(Boolean)};
      if (action === 'extend' && f.get('hours')) body.hours = Number(f.get('hours'));
      if (action === 'dispatch' && f.get('department_code')) body.department_code = f.get('department_code');
      if (action === 'file' && f.get('category')) body.category = f.get('category');
      fetch('/api/v1/events/cases/' + form.dataset.case + '/' + action, {
        method: 'POST', headers: {'content-type': 'application/json'}, body: JSON.stringify(body)
      }).then(function (r) {
        return r.json().then(function (b) { return {ok: r.ok, body: b}; });
      }).then(function (res) {
        if (res.ok) { location.reload(); return; }
        msg.className = 'msg error';
        msg.textContent = problemText(res.body, lang);
      });
    });
  }

  function reportForm(lang) {
    const form = document.getElementById('report-form');
    const msg = document.getElementById('report-msg');
    if (!form) return;
    document.getElementById('r-locate').addEventListener('click', function () {
      if (!navigator.geolocation) return;
      navigator.geolocation.getCurrentPosition(function (p) {
        document.getElementById('r-lon').value = p.coords.longitude.toFixed(6);
        document.getElementById('r-lat').value = p.coords.latitude.toFixed(6);
      });
    });
    form.addEventListener('submit', function (ev) {
      ev.preventDefault();
      const params = new URLSearchParams();
      new FormData(form).forEach(function (v, k) { if (v) params.append(k, v); });
      fetch('/open311/v2/requests.json', {method: 'POST', body: params}).then(function (r) {
        return r.json().then(function (b) { return {ok: r.ok, body: b}; });
      }).then(function (res) {
        if (res.ok) {
          const id = res.body[0].service_request_id;
          msg.className = 'msg ok';
          msg.textContent = (lang === 'en' ? 'Received, request no. ' : '已受理,诉求编号 ') + id;
          msg.dataset.requestId = id;
          form.reset();
        } else {
          msg.className = 'msg error';
          msg.textContent = problemText(res.body, lang);
        }
      });
    });
  }

  return {caseMap: caseMap, sourceChart: sourceChart, trendChart: trendChart,
          caseActions: caseActions, reportForm: reportForm};
})();
