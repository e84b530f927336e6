// Charts of the quality pages (ECharts). Scores sit between 95 and 100 on most data, so the
// value axis starts just below the lowest score: on 0-100 every bar looks full.
(function () {
  function floorOf(values) {
    const known = values.filter(v => v !== null && v !== undefined);
    if (!known.length) return 0;
    return Math.max(0, Math.floor(Math.min(...known) - 1));
  }

  // bars: [{label, score, colour}], one per department or dimension
  window.qualityBars = function (el, bars, seriesName) {
    if (!window.echarts || !el) return;
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: {},
      grid: {left: 48, right: 16, top: 24, bottom: 40},
      xAxis: {type: 'category', data: bars.map(b => b.label), axisLabel: {interval: 0}},
      yAxis: {type: 'value', min: floorOf(bars.map(b => b.score)), max: 100},
      series: [{
        type: 'bar', name: seriesName, barMaxWidth: 56,
        data: bars.map(b => ({value: b.score, itemStyle: {color: b.colour}})),
        label: {show: true, position: 'top', formatter: p => Number(p.value).toFixed(1)},
      }],
    });
    el.dataset.rendered = 'true';
  };

  // loads: labels, oldest first; series: [{name, scores}], a score per load (null: a gap)
  window.qualityLines = function (el, loads, series) {
    if (!window.echarts || !el) return;
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: {trigger: 'axis'},
      legend: {type: 'scroll', top: 0},
      grid: {left: 48, right: 24, top: 36, bottom: 32},
      xAxis: {type: 'category', data: loads},
      yAxis: {type: 'value', min: floorOf(series.flatMap(s => s.scores)), max: 100},
      series: series.map(s => ({type: 'line', name: s.name, data: s.scores,
                                connectNulls: true, symbolSize: 7})),
    });
    el.dataset.rendered = 'true';
  };

  // points: [{label, score}], oldest first
  window.qualityTrend = function (el, points, seriesName) {
    if (!window.echarts || !el) return;
    const chart = echarts.init(el);
    chart.setOption({
      tooltip: {trigger: 'axis'},
      grid: {left: 48, right: 24, top: 24, bottom: 40},
      xAxis: {type: 'category', data: points.map(p => p.label)},
      yAxis: {type: 'value', min: floorOf(points.map(p => p.score)), max: 100},
      series: [{type: 'line', name: seriesName, data: points.map(p => p.score), symbolSize: 8,
                itemStyle: {color: '#2f6fdf'}}],
    });
    el.dataset.rendered = 'true';
    el.dataset.points = String(points.length);
  };
})();
