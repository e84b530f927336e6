// Charts of the quality pages (ECharts). Scores sit between 95 and 100 on most data, so the
// value axis starts just below the lowest score: on 0-100 every bar looks full.
(function () {
  function scoreAxis(values) {
    const known = values.filter(v => v !== null && v !== undefined);
    const min = known.length ? Math.max(0, Math.floor(Math.min(...known) - 1)) : 0;
    return {type: 'value', min: min, max: 100};
  }

  function draw(el, labels, scores, option) {
    if (!window.echarts || !el) return;
    echarts.init(el).setOption({
      grid: {left: 48, right: 24, top: 24, bottom: 40},
      xAxis: {type: 'category', data: labels},
      yAxis: scoreAxis(scores),
      ...option,
    });
    el.dataset.rendered = 'true';
  }

  // bars: [{label, score, colour}], one per department or dimension
  window.qualityBars = function (el, bars, seriesName) {
    draw(el, bars.map(b => b.label), bars.map(b => b.score), {
      tooltip: {},
      xAxis: {type: 'category', data: bars.map(b => b.label), axisLabel: {interval: 0}},
      series: [{
        type: 'bar', name: seriesName, barMaxWidth: 56,
        data: bars.map(b => ({value: b.score, itemStyle: {color: b.colour}})),
        label: {show: true, position: 'top', formatter: p => Number(p.value).toFixed(1)},
      }],
    });
  };

  // loads: labels, oldest first; series: [{name, scores}], a score per load (null: a gap)
  window.qualityLines = function (el, loads, series) {
    draw(el, loads, series.flatMap(s => s.scores), {
      tooltip: {trigger: 'axis'},
      legend: {type: 'scroll', top: 0},
      grid: {left: 48, right: 24, top: 36, bottom: 32},
      series: series.map(s => ({type: 'line', name: s.name, data: s.scores,
                                connectNulls: true, symbolSize: 7})),
    });
  };

  // points: [{label, score}], oldest first: one dataset's score over the loads
  window.qualityTrend = function (el, points, seriesName) {
    window.qualityLines(el, points.map(p => p.label),
                        [{name: seriesName, scores: points.map(p => p.score)}]);
    if (el) el.dataset.points = String(points.length);
  };
})();
