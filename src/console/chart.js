/**
 * The incident's metric drawn with uPlot: the series around the alert, the usual range the anomaly
 * finding compared it with, the alert's threshold, the forecast towards that threshold, and when the
 * alert started. Shared as is by the console (served) and the reports (inlined, so they need nothing
 * else), which is why it is a plain script with one global rather than a module.
 */
(function (global) {
  'use strict';

  var COLORS = {
    value: '#2563eb',
    forecast: '#9333ea',
    threshold: '#dc2626',
    usual: '#16a34a',
    usualFill: 'rgba(22, 163, 74, 0.10)',
    alert: '#f59e0b',
  };

  /**
   * Where the forecast line goes: to the threshold at the forecast's crossing time when that falls
   * within the chart's span (so the picture says "here, then"), else along the fitted trend for a
   * quarter of the span. Nothing when the series is already past the threshold.
   */
  function forecastPoints(input, end, last) {
    var f = input.forecast;
    if (!f || !Number.isFinite(last)) return [];
    var span = Math.max(end - input.times[0], 60);
    var eta = f.secondsToThreshold;
    if (input.threshold && typeof eta === 'number') {
      if (eta <= 0) return [];
      if (eta <= span) return [[end + eta, input.threshold.value]];
    }
    var ahead = span / 4;
    return [[end + ahead, last + (f.slopePerSecond || 0) * ahead]];
  }

  /** uPlot's aligned columns: x, value, usual high, usual low, threshold, forecast. */
  function columns(input) {
    var times = input.times;
    var values = input.values.map(function (v) {
      return Number.isFinite(v) ? v : null;
    });
    var end = times[times.length - 1];
    var last = values[values.length - 1];
    var ahead = forecastPoints(input, end, last);
    var x = times.concat(
      ahead.map(function (p) {
        return p[0];
      }),
    );
    var pad = ahead.map(function () {
      return null;
    });
    var usual = input.usual;
    var constant = function (v) {
      return x.map(function () {
        return v;
      });
    };
    var forecast = times.map(function (_, i) {
      return i === times.length - 1 && ahead.length ? last : null;
    });
    return [
      x,
      values.concat(pad),
      usual ? constant(usual.high) : constant(null),
      usual ? constant(usual.low) : constant(null),
      input.threshold ? constant(input.threshold.value) : constant(null),
      forecast.concat(
        ahead.map(function (p) {
          return p[1];
        }),
      ),
    ];
  }

  /** A dashed vertical line where the alert started, drawn on uPlot's own canvas. */
  function alertMarker(at) {
    return function (u) {
      if (typeof at !== 'number' || at < u.scales.x.min || at > u.scales.x.max) return;
      var ctx = u.ctx;
      var x = Math.round(u.valToPos(at, 'x', true));
      ctx.save();
      ctx.strokeStyle = COLORS.alert;
      ctx.lineWidth = 2 * (global.devicePixelRatio || 1);
      ctx.setLineDash([6, 4]);
      ctx.beginPath();
      ctx.moveTo(x, u.bbox.top);
      ctx.lineTo(x, u.bbox.top + u.bbox.height);
      ctx.stroke();
      ctx.fillStyle = COLORS.alert;
      ctx.font = 12 * (global.devicePixelRatio || 1) + 'px system-ui, sans-serif';
      ctx.fillText('alert', x + 4, u.bbox.top + 14 * (global.devicePixelRatio || 1));
      ctx.restore();
    };
  }

  /**
   * Draws into `el` and returns the uPlot instance (or null when there is nothing to draw).
   * input: { label, times (epoch s), values, threshold?: {value, direction}, usual?: {low, high},
   *          forecast?: {slopePerSecond, secondsToThreshold}, alertAt? (epoch s) }
   */
  function draw(el, input, options) {
    var uPlot = global.uPlot;
    if (!uPlot || !input || !input.times || input.times.length < 2) return null;
    var opts = options || {};
    var width = opts.width || Math.max(el.clientWidth, 320);
    var dashed = [6, 5];
    return new uPlot(
      {
        width: width,
        height: opts.height || 260,
        // Times in UTC, as everywhere in an incident's record.
        tzDate: function (ts) {
          return uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC');
        },
        scales: { x: { time: true } },
        legend: { live: opts.live !== false },
        cursor: { show: opts.live !== false },
        series: [
          { label: 'UTC' },
          { label: input.label || 'value', stroke: COLORS.value, width: 2, points: { size: 4 } },
          { label: 'usual high', stroke: COLORS.usual, width: 1, points: { show: false } },
          { label: 'usual low', stroke: COLORS.usual, width: 1, points: { show: false } },
          { label: 'threshold', stroke: COLORS.threshold, width: 1.5, dash: dashed, points: { show: false } },
          {
            label: 'forecast',
            stroke: COLORS.forecast,
            width: 2,
            dash: dashed,
            spanGaps: true,
            points: { show: true, size: 6 },
          },
        ],
        bands: [{ series: [2, 3], fill: COLORS.usualFill }],
        axes: [{}, { size: 60 }],
        hooks: { draw: [alertMarker(input.alertAt)] },
      },
      columns(input),
      el,
    );
  }

  /** The chart's input from an incident's state (or the part of it a report embeds). */
  function fromIncident(incident) {
    var d = incident.detection || {};
    if (!d.series || !d.series.times) return null;
    var query = d.query || 'value';
    var alertAt = Date.parse((incident.milestones || {}).alertFiring || incident.openedAt);
    return {
      label: query.length > 48 ? query.slice(0, 47) + '…' : query,
      times: d.series.times,
      values: d.series.values,
      threshold: d.threshold,
      usual: d.finding ? { low: d.finding.usualLow, high: d.finding.usualHigh } : undefined,
      forecast: incident.prediction ? incident.prediction.forecast : undefined,
      alertAt: Number.isFinite(alertAt) ? alertAt / 1000 : undefined,
    };
  }

  global.SteadfastChart = { draw: draw, columns: columns, fromIncident: fromIncident };
})(window);
