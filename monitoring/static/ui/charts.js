/* The API's charts (docs/metrics.md §3.1) drawn as the API describes them, with uPlot:
   `bar`, `scatter` (lines, filled to zero unless `fill` is "none") and `stackedbar+lines`
   (`trace_type`, `trace_order`, `calculate_total`); the colour scale of `colorscale` charts
   (bars of height `fixed_value` coloured by the first `map` entry whose threshold is at or
   below the value); `colors`; `unit` (`adaptive_prefix+B` rescaled to K/M/G/T, `%` on a
   0–100 axis); `summary` with `summary_labels`. Every chart has a collapsed table of its
   values, for screen readers and for reading exact numbers. */
(function () {
  "use strict";
  const el = window.Page.el;
  const DEFAULT_COLORS = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2",
                          "#7f7f7f", "#bcbd22", "#17becf"];
  const HEIGHT = 220;

  /* "YYYY-MM-DD HH:MM" (wall-clock time of the requested zone) → seconds, read as UTC so
     that the axis, drawn in UTC, shows the labels' own wall-clock times. */
  function labelSeconds(label) {
    const [date, time] = label.split(" ");
    const [year, month, day] = date.split("-").map(Number);
    const [hour, minute] = (time || "00:00").split(":").map(Number);
    return Date.UTC(year, month - 1, day, hour, minute) / 1000;
  }

  /* The largest value (0 at least), nulls aside; a loop, as a year of points is too many
     arguments for Math.max. */
  function largestOf(values) {
    let largest = 0;
    for (const value of values) if (value !== null && value > largest) largest = value;
    return largest;
  }

  function round(value) {
    if (value === null || value === undefined) return value;
    return Math.abs(value) >= 100 ? Math.round(value * 10) / 10 : Math.round(value * 1000) / 1000;
  }

  /* How values are shown: `adaptive_prefix+B` values are giga units, rescaled by the
     largest value of the chart. */
  function unitOf(chart, values) {
    const unit = chart.unit || "";
    if (unit.startsWith("adaptive_prefix+")) {
      const base = unit.slice("adaptive_prefix+".length);
      const largest = largestOf(values.map((v) => (v === null ? null : Math.abs(v))));
      const [prefix, factor] = largest >= 1000 ? ["T", 1e-3] : largest >= 1 ? ["G", 1]
        : largest >= 1e-3 ? ["M", 1e3] : ["K", 1e6];
      return {suffix: " " + prefix + base, factor: factor};
    }
    return {suffix: unit === "%" ? "%" : unit, factor: 1};
  }

  /* Traces in display order: `trace_order` when given (with the computed total), else as
     the API sorted them. */
  function displayTraces(chart) {
    const traces = chart.traces.map(([name, values]) => ({name: name, values: values}));
    if (chart.calculate_total) {
      const total = traces[0].values.map(function (_, i) {
        let sum = null;
        traces.forEach(function (trace) {
          if (trace.values[i] !== null) sum = (sum || 0) + trace.values[i];
        });
        return sum;
      });
      traces.push({name: "total", values: total});
    }
    if (chart.trace_order) {
      const position = (name) => {
        const index = chart.trace_order.indexOf(name);
        return index === -1 ? chart.trace_order.length : index;
      };
      traces.sort((a, b) => position(a.name) - position(b.name));
    }
    traces.forEach(function (trace, index) {
      trace.color = (chart.colors && chart.colors[index]) || DEFAULT_COLORS[index % DEFAULT_COLORS.length];
      trace.kind = (chart.trace_type && chart.trace_type[trace.name])
        || (chart.type === "scatter" ? "lines" : chart.type === "bar" ? "bar" : "lines");
    });
    return traces;
  }

  /* The colour-scale entry of a value: the first whose threshold is at or below it (a null
     threshold catches the rest). */
  function scaleEntry(colorscale, value) {
    if (value === null || value === undefined) return null;
    return colorscale.map.find(([threshold]) => threshold === null || threshold <= value) || null;
  }

  function summaryOf(chart, traces, unit) {
    const summary = Object.assign({}, chart.summary || {});
    if (chart.calculate_total && summary.total === undefined) {
      summary.total = Object.values(chart.summary || {}).reduce((a, b) => a + (b || 0), 0);
    }
    return traces.filter((trace) => summary[trace.name] !== undefined).map(function (trace, index) {
      const label = (chart.summary_labels && chart.summary_labels[index]) || trace.name;
      const value = summary[trace.name];
      let text = value === null ? "no data" : round(value * unit.factor) + unit.suffix;
      if (chart.colorscale && value !== null && scaleEntry(chart.colorscale, value)) {
        text += " (" + scaleEntry(chart.colorscale, value)[2] + ")";
      }
      return {label: label, text: text, color: trace.color, name: trace.name};
    });
  }

  function barPaths(disp) {
    return uPlot.paths.bars({size: [0.85, 60], align: 0, disp: disp});
  }

  /* uPlot options and data of one chart. */
  function plotOf(chart, x, width) {
    const traces = displayTraces(chart);
    const everyValue = traces.flatMap((trace) => trace.values);
    const unit = unitOf(chart, everyValue);
    const scaled = traces.map((trace) => trace.values.map((v) => (v === null ? null : v * unit.factor)));
    const format = (v) => (v === null || v === undefined ? "–" : round(v) + unit.suffix);
    const series = [{label: "Time", value: (u, seconds) => (seconds == null ? "–" : labelText(seconds))}];
    const data = [x.map(labelSeconds)];
    let stackTop = null;
    let yRange = unit.suffix === "%" ? [0, 100] : null;

    traces.forEach(function (trace, index) {
      const values = scaled[index];
      // Dots where a line has too few values to be seen as a line (a check's first results).
      const known = values.reduce((count, v) => count + (v === null ? 0 : 1), 0);
      const entry = {label: trace.name, stroke: trace.color, width: 2, value: (u, v) => format(v),
                     points: {show: known < 60, size: 5, fill: trace.color}, spanGaps: !!chart.connect_points};
      if (chart.colorscale || trace.kind !== "lines") entry.points = {show: false};
      if (chart.colorscale) {
        // Bars of one height, coloured by the scale; the value itself shows on hover.
        const colors = values.map((v) => (scaleEntry(chart.colorscale, v) || [])[1] || null);
        const height = chart.colorscale.fixed_value || 100;
        data.push(values.map((v) => (v === null ? null : height)));
        entry.width = 0;
        entry.fill = trace.color;
        entry.paths = barPaths({fill: {unit: 3, values: () => colors}});
        entry.value = function (u, v, seriesIndex, i) {
          if (i === null || values[i] === null) return "–";
          return format(values[i]) + " (" + scaleEntry(chart.colorscale, trace.values[i])[2] + ")";
        };
        yRange = [0, height];
      } else if (trace.kind === "stackedbar") {
        // Stacked in display order, the first at the bottom; hover shows the trace's own value.
        const bottom = stackTop || values.map(() => 0);
        const top = values.map((v, i) => (v === null ? null : (bottom[i] || 0) + v));
        stackTop = top.map((v, i) => (v === null ? bottom[i] : v));
        data.push(values);
        entry.fill = trace.color;
        entry.width = 0;
        entry.paths = barPaths({y0: {values: () => bottom}, y1: {values: () => top}});
      } else if (trace.kind === "bar") {
        data.push(values);
        entry.fill = trace.color;
        entry.width = 0;
        entry.paths = barPaths();
      } else {
        data.push(values);
        if (chart.fill !== "none" && chart.type === "scatter") entry.fill = trace.color + "26";
      }
      series.push(entry);
    });
    const stackMax = stackTop ? largestOf(stackTop) : null;
    const hasBars = series.some((entry) => entry.paths);
    const options = {
      width: width, height: HEIGHT, series: series,
      tzDate: (seconds) => uPlot.tzDate(new Date(seconds * 1000), "Etc/UTC"),
      cursor: {points: {size: 6}, drag: {x: true, y: false}},
      legend: {live: true},
      scales: {
        // Bars are centred on their bucket: half a bucket more on each side shows the first
        // and the last whole.
        x: {time: true, range: function (u, min, max) {
          const times = data[0];
          const half = times.length > 1 ? (times[1] - times[0]) / 2 : 300;
          return hasBars ? [min - half, max + half] : [min, max];
        }},
        y: {range: function (u, min, max) {
          if (yRange) return yRange;
          const low = Math.min(0, min === null ? 0 : min);
          let high = Math.max(stackMax || 0, max === null ? 1 : max);
          if (high === low) high = low + 1;
          return [low, high * 1.05];
        }},
      },
      axes: [
        {},
        chart.colorscale ? {show: false} : {
          values: (u, ticks) => ticks.map((t) => round(t) + unit.suffix),
          // Wide enough for the longest label ("0.008 ms", "-105 dBm").
          size: (u, labels) => 22 + 8 * Math.max(3, ...(labels || []).map((label) => String(label).length)),
        },
      ],
    };
    return {options: options, data: data, traces: traces, unit: unit};
  }

  function labelText(seconds) {
    return new Date(seconds * 1000).toISOString().slice(0, 16).replace("T", " ");
  }

  /* The chart's values as a table, built when the reader opens it. */
  function dataTable(chart, x, traces, unit) {
    const details = el("details", {class: "data-table"}, el("summary", {text: "Data table"}));
    details.addEventListener("toggle", function () {
      if (!details.open || details.querySelector("table")) return;
      const header = el("tr", {}, el("th", {scope: "col", text: "Time"}),
        traces.map((trace) => el("th", {scope: "col", class: "number", text: trace.name + (unit.suffix.trim() ? " (" + unit.suffix.trim() + ")" : "")})));
      const rows = x.map(function (label, i) {
        return el("tr", {}, el("th", {scope: "row", text: label}), traces.map(function (trace) {
          const value = trace.values[i];
          let text = value === null ? "–" : String(round(value * unit.factor));
          if (chart.colorscale && value !== null) text += " (" + scaleEntry(chart.colorscale, value)[2] + ")";
          return el("td", {class: "number", text: text});
        }));
      });
      details.append(el("div", {class: "table-wrap"},
        el("table", {class: "data"}, el("caption", {class: "visually-hidden", text: chart.title}),
          el("thead", {}, header), el("tbody", {}, rows))));
    });
    return details;
  }

  function colorScaleLegend(colorscale) {
    return el("p", {class: "scale", "aria-label": "Colour scale"}, colorscale.map.map(function ([threshold, color, label]) {
      const swatch = el("span", {class: "legend-swatch", "aria-hidden": "true"});
      swatch.style.background = color;
      return el("span", {}, swatch, label + (threshold === null ? "" : " (≥ " + threshold + ")"));
    }));
  }

  /* Draw every chart of `answer` (a device detail or the dashboard) into `container`. */
  function drawCharts(container, answer) {
    container.replaceChildren();
    (container._plots || []).forEach((plot) => plot.destroy());
    container._plots = [];
    const charts = answer.charts || [];
    if (!charts.length) {
      container.append(el("p", {class: "muted", id: "no-charts", text: "No chart has data in this period."}));
      return [];
    }
    const width = Math.max(300, Math.min(container.clientWidth || 900, 34 * 16 * 2) - 32);
    charts.forEach(function (chart, index) {
      const figure = el("section", {class: "chart", "data-type": chart.type, "data-title": chart.title,
                                    "aria-labelledby": "chart-title-" + index});
      const plot = plotOf(chart, answer.x || [], 100);
      const summary = summaryOf(chart, plot.traces, plot.unit);
      figure.append(
        el("h2", {id: "chart-title-" + index, text: chart.title}),
        chart.description ? el("p", {class: "description", text: chart.description}) : null,
        el("p", {class: "summary"}, summary.map(function (item) {
          const swatch = el("span", {class: "swatch", "aria-hidden": "true"});
          swatch.style.background = item.color;
          return el("span", {class: "summary-item", "data-trace": item.name}, swatch, item.label + ": ",
                    el("strong", {text: item.text}));
        })),
      );
      const canvas = el("div", {class: "plot", role: "img",
                                "aria-label": chart.title + ": " + summary.map((s) => s.label + " " + s.text).join(", ")});
      figure.append(canvas);
      if (chart.colorscale) figure.append(colorScaleLegend(chart.colorscale));
      figure.append(dataTable(chart, answer.x || [], plot.traces, plot.unit));
      container.append(figure);
      plot.options.width = Math.max(280, canvas.clientWidth || width);
      container._plots.push(new uPlot(plot.options, plot.data, canvas));
    });
    if (!container._observer && window.ResizeObserver) {
      container._observer = new ResizeObserver(function () {
        container._plots.forEach(function (plot) {
          if (!plot.root.parentNode) return;  // destroyed, or its chart removed
          const width = plot.root.parentNode.clientWidth;
          if (width && Math.abs(width - plot.width) > 4) plot.setSize({width: width, height: HEIGHT});
        });
      });
      container._observer.observe(container);
    }
    return container._plots;
  }

  window.Charts = {drawCharts: drawCharts, displayTraces: displayTraces, scaleEntry: scaleEntry, unitOf: unitOf};
})();
