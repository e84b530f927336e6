// The leadership cockpit: KPI cards, a GeoJSON map with switchable layers and drill-down
// (city → district → grid → cases), trend charts, and live numbers polled every 10 s.
// All aggregation happens on the server; the page only draws what it receives.
(function () {
  'use strict';
  const root = document.getElementById('cockpit');
  const en = root.dataset.lang === 'en';
  const t = (zh, e) => (en ? e : zh);
  const state = { layer: 'population', district: null, districtName: null, areas: [] };
  const api = (path) => fetch('/api/v1/indicators/cockpit/' + path).then((r) => {
    if (!r.ok) throw new Error(path + ' ' + r.status);
    return r.json();
  });
  const mapChart = echarts.init(document.getElementById('map'));
  const trendChart = echarts.init(document.getElementById('trend-cases'));
  const familyChart = echarts.init(document.getElementById('families'));
  window.addEventListener('resize', () => { mapChart.resize(); trendChart.resize(); familyChart.resize(); });

  function fmt(v, digits) {
    if (v === null || v === undefined) return '—';
    return Number(v).toLocaleString(en ? 'en' : 'zh-CN', { maximumFractionDigits: digits ?? 1 });
  }

  function renderKpis(kpis) {
    const box = document.getElementById('kpis');
    box.innerHTML = '';
    for (const k of kpis) {
      const card = document.createElement('div');
      card.className = 'card';
      card.dataset.kpi = k.code;
      card.innerHTML = '<div class="kpi"></div><div class="label"></div>';
      card.querySelector('.kpi').textContent = fmt(k.value) + (k.unit && k.unit !== '人' && k.unit !== '件' ? ' ' + k.unit : '');
      card.querySelector('.label').textContent = en ? k.name_en : k.name_zh;
      box.appendChild(card);
    }
  }

  function renderTrends(summary) {
    const days = summary.cases_per_day || [];
    trendChart.setOption({
      animation: false,
      grid: { left: 40, right: 10, top: 10, bottom: 30 },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: days.map((d) => d.day) },
      yAxis: { type: 'value', minInterval: 1 },
      series: [{ type: 'line', smooth: true, showSymbol: false, areaStyle: {}, data: days.map((d) => d.count) }],
    });
    const fams = summary.families || [];
    familyChart.setOption({
      animation: false,
      grid: { left: 90, right: 30, top: 10, bottom: 20 },
      xAxis: { type: 'value', max: 100 },
      yAxis: { type: 'category', data: fams.map((f) => (en ? f.family_en : f.family)) },
      series: [{ type: 'bar', data: fams.map((f) => f.score), label: { show: true, position: 'right' } }],
    });
  }

  function renderCrumbs() {
    const el = document.getElementById('crumbs');
    el.innerHTML = '';
    const city = document.createElement('a');
    city.textContent = t('全市', 'City');
    city.addEventListener('click', () => { state.district = null; loadMap(); });
    el.appendChild(city);
    if (state.district) {
      el.appendChild(document.createTextNode(' › ' + state.districtName));
    }
  }

  async function loadMap() {
    renderCrumbs();
    document.getElementById('drill-panel').hidden = true;
    for (const b of document.querySelectorAll('#layers button')) {
      b.className = b.dataset.layer === state.layer ? 'btn' : 'btn secondary';
    }
    const q = 'map?layer=' + state.layer + (state.district ? '&district=' + state.district : '');
    const data = await api(q);
    state.areas = data.areas;
    const mapName = 'cb-' + (state.district || 'city');
    echarts.registerMap(mapName, data.geojson);
    const values = data.areas.map((a) => ({ name: a.code, value: a.value, label: a.name }));
    const max = Math.max(1, ...values.map((v) => v.value || 0));
    mapChart.setOption({
      animation: false,
      tooltip: {
        trigger: 'item',
        formatter: (p) => (p.data ? p.data.label + '<br>' + data.label + ': ' + fmt(p.data.value) + ' ' + data.unit : p.name),
      },
      visualMap: { min: 0, max: max, calculable: true, left: 10, bottom: 10, inRange: { color: ['#e8f1ff', '#2f6fdf', '#0f2a52'] } },
      series: [{
        type: 'map', map: mapName, nameProperty: 'code', roam: true, selectedMode: false,
        label: { show: !state.district, formatter: (p) => (p.data ? p.data.label : '') , fontSize: 11 },
        emphasis: { label: { show: true } },
        data: values,
      }],
    }, true);
    document.getElementById('map-note').textContent = data.note || '';
    root.dataset.mapReady = state.layer + ':' + (state.district || 'city');
  }

  async function drillGrid(code, label) {
    const data = await api('grid?code=' + encodeURIComponent(code));
    const panel = document.getElementById('drill-panel');
    panel.hidden = false;
    document.getElementById('drill-title').textContent = label + ' · ' + t('案件与设备', 'cases and devices');
    const table = document.getElementById('drill-table');
    table.innerHTML = '';
    const head = table.insertRow();
    for (const h of [t('编号', 'No.'), t('类别', 'Category'), t('状态', 'Status')]) {
      const th = document.createElement('th'); th.textContent = h; head.appendChild(th);
    }
    for (const c of data.cases) {
      const row = table.insertRow();
      const a = document.createElement('a');
      a.href = c.url; a.textContent = c.number;
      row.insertCell().appendChild(a);
      row.insertCell().textContent = c.category;
      row.insertCell().textContent = c.status;
    }
    if (!data.cases.length) table.insertRow().insertCell().textContent = t('该网格暂无案件', 'No cases in this grid');
    for (const d of data.devices || []) {
      const row = table.insertRow();
      row.className = 'device';
      row.insertCell().textContent = d.device_id;
      row.insertCell().textContent = t('感知设备 ', 'device ') + d.type;
      row.insertCell().textContent = t('在线', 'online');
    }
    root.dataset.drill = code;
  }

  // One drill step: from the city into a district's grid cells, or from a grid cell to its cases.
  function drill(code, label) {
    if (!state.district) {
      state.district = code; state.districtName = label;
      return loadMap();
    }
    return drillGrid(code, label);
  }
  mapChart.on('click', (p) => { if (p.data) drill(p.data.name, p.data.label); });
  // The same handlers, for keyboard users' future controls and for browser tests.
  window.cockpitDrill = drill;
  window.cockpitBusiestArea = () => {
    const best = state.areas.reduce((a, b) => ((b.value || 0) > (a.value || 0) ? b : a), state.areas[0]);
    return best ? { code: best.code, label: best.name } : null;
  };
  for (const b of document.querySelectorAll('#layers button')) {
    b.addEventListener('click', () => { state.layer = b.dataset.layer; loadMap(); });
  }

  async function loadLive() {
    try {
      const live = await api('live');
      document.getElementById('live').textContent =
        t('在办案件 ', 'Open cases ') + fmt(live.open_cases, 0) + ' · ' +
        t('今日新增 ', 'New today ') + fmt(live.new_today, 0) + ' · ' +
        t('活动告警 ', 'Active alarms ') + fmt(live.active_alarms, 0) + ' · ' +
        t('更新于 ', 'at ') + new Date(live.at).toLocaleTimeString(en ? 'en' : 'zh-CN');
    } catch (e) { /* keep the last numbers; the next poll retries */ }
  }

  async function start() {
    // The three requests go out together; each part draws as soon as its data arrives.
    const summary = api('summary').then((s) => { renderKpis(s.kpis); renderTrends(s); });
    await Promise.all([summary, loadMap(), loadLive()]);
    root.dataset.ready = 'true';
    performance.mark('cockpit-data-ready');
    setInterval(loadLive, 10000);
  }
  start().catch((e) => { document.getElementById('map-note').textContent = String(e); });
})();
