#include "emulator/scenario/report/html_report.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <fmt/format.h>
#include <iterator>
#include <map>
#include <optional>

#include "emulator/scenario/report/event_fields.h"

namespace scalelab::report {
namespace {

using nlohmann::json;

constexpr int kMaxChartRanks = 65536;

std::optional<int> rank_of(const json& event) {
  auto rank = integer_field(event, "rank");
  if (!rank || *rank < 0 || *rank >= kMaxChartRanks) return std::nullopt;
  return static_cast<int>(*rank);
}

std::string seconds(std::optional<double> t) { return t ? fmt::format("{:.3f}", *t) : std::string("—"); }

std::string format_bytes(double bytes) {
  static const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int unit = 0;
  while (bytes >= 1024 && unit < 4) {
    bytes /= 1024;
    ++unit;
  }
  if (std::floor(bytes) == bytes) return fmt::format("{:.0f} {}", bytes, units[unit]);
  return fmt::format("{:.1f} {}", bytes, units[unit]);
}

// A '<' that would open "</script" or "<!--" inside the inlined library becomes "\x3C", which
// means the same in JS strings, regexes and comments (the only places such text occurs).
std::string script_safe(const std::string& js) {
  std::string out;
  out.reserve(js.size() + 16);
  auto starts = [&](std::size_t i, std::string_view what) {
    if (js.size() - i < what.size()) return false;
    for (std::size_t k = 0; k < what.size(); ++k) {
      if (std::tolower(static_cast<unsigned char>(js[i + k])) != what[k]) return false;
    }
    return true;
  };
  for (std::size_t i = 0; i < js.size(); ++i) {
    if (js[i] == '<' && (starts(i, "</script") || starts(i, "<!--"))) {
      out += "\\x3C";
    } else {
      out += js[i];
    }
  }
  return out;
}

// "Chart.js v4.5.1" from the library's banner, for the footer.
std::string library_banner(const std::string& js) {
  auto head = js.substr(0, 400);
  auto at = head.find("Chart.js v");
  if (at == std::string::npos) return "";
  auto end = head.find_first_of(" \t\r\n*", at + 10);
  return head.substr(at, end == std::string::npos ? std::string::npos : end - at);
}

struct Point {
  double t;
  double busbw;
  json iter;
  json algbw;
  json duration_ms;
};

struct RankSeries {
  std::vector<Point> points;
  int errors = 0;
  std::optional<long long> exit_status;
};

const char* kStyle = R"CSS(
:root { color-scheme: light; --fail: #c62828; --pass: #2e7d32; --muted: #5f6368; --line: #e0e0e0; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif; margin: 0; color: #202124; background: #fafafa; }
main { max-width: 1180px; margin: 0 auto; padding: 16px 20px 40px; }
h1 { font-size: 21px; margin: 4px 0 2px; display: flex; align-items: center; gap: 12px; flex-wrap: wrap; }
h2 { font-size: 16px; margin: 26px 0 8px; }
.scenario { color: var(--muted); margin: 0 0 12px; }
.scenario b { color: #202124; font-weight: 600; }
.badge { display: inline-block; padding: 1px 9px; border-radius: 10px; font-size: 12px; font-weight: 700; letter-spacing: .03em; color: #fff; background: var(--muted); }
.badge.pass { background: var(--pass); } .badge.fail { background: var(--fail); }
.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.chart-box { position: relative; height: 440px; }
.legend-note { color: var(--muted); font-size: 12px; margin-top: 6px; }
.legend-note .fault { color: var(--fail); font-weight: 600; }
#chart-status { font-size: 12px; color: var(--muted); margin-top: 2px; }
#chart-status.failed { color: var(--fail); font-weight: 600; }
table { border-collapse: collapse; width: 100%; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 5px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #f1f3f4; font-weight: 600; font-size: 13px; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.late { color: var(--fail); font-weight: 600; }
.empty { color: var(--muted); font-style: italic; }
footer { margin-top: 28px; color: var(--muted); font-size: 12px; }
code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; }
)CSS";

// Draws the chart from #report-data. Faults, reroutes and rank events are drawn by a plugin
// written against Chart.js's plugin API (afterDatasetsDraw), on the chart's own canvas.
const char* kChartScript = R"JS(
(function () {
  'use strict';
  var status = document.getElementById('chart-status');
  function fail(why) {
    status.textContent = 'chart failed: ' + why;
    status.className = 'failed';
    document.body.dataset.chartReady = '0';
  }
  try {
    if (typeof Chart === 'undefined') { fail('the chart library did not load'); return; }
    var data = JSON.parse(document.getElementById('report-data').textContent);
    var FAULT = '#c62828';
    var PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22',
                   '#7f7f7f', '#393b79', '#637939', '#8c6d31', '#843c39', '#7b4173', '#3182bd', '#31a354'];
    var colorOf = {};
    data.ranks.forEach(function (r, i) { colorOf[r.rank] = PALETTE[i % PALETTE.length]; });

    var markers = {
      id: 'scalelabMarkers',
      afterDatasetsDraw: function (chart) {
        var ctx = chart.ctx, area = chart.chartArea, x = chart.scales.x;
        function inside(px) { return px >= area.left - 0.5 && px <= area.right + 0.5; }
        function vline(px, color, dash, width) {
          ctx.save();
          ctx.strokeStyle = color; ctx.lineWidth = width; ctx.setLineDash(dash);
          ctx.beginPath(); ctx.moveTo(px, area.top); ctx.lineTo(px, area.bottom); ctx.stroke();
          ctx.restore();
        }
        ctx.save();
        data.reroutes.forEach(function (r) {
          var px = x.getPixelForValue(r.t);
          if (inside(px)) vline(px, 'rgba(95,99,104,0.75)', [2, 3], 1);
        });
        ctx.font = '600 11px system-ui, "DejaVu Sans", sans-serif';
        ctx.textBaseline = 'middle';
        var rowEnds = [], h = 17;
        data.faults.forEach(function (f) {
          var px = x.getPixelForValue(f.t);
          if (!inside(px)) return;
          vline(px, FAULT, [6, 4], 2);
          var w = ctx.measureText(f.label).width + 10;
          var left = px + 4;
          if (left + w > area.right) left = Math.max(area.left, px - 4 - w);
          var row = 0;
          while (row < rowEnds.length && rowEnds[row] > left) row++;
          rowEnds[row] = left + w + 4;
          var top = area.top + 4 + row * (h + 3);
          ctx.setLineDash([]);
          ctx.fillStyle = 'rgba(255,255,255,0.92)'; ctx.fillRect(left, top, w, h);
          ctx.strokeStyle = FAULT; ctx.lineWidth = 1; ctx.strokeRect(left + 0.5, top + 0.5, w - 1, h - 1);
          ctx.fillStyle = FAULT; ctx.fillText(f.label, left + 5, top + h / 2 + 0.5);
        });
        data.rankEvents.forEach(function (e) {
          var px = x.getPixelForValue(e.t);
          if (!inside(px)) return;
          var y = area.bottom - 8, s = 5;
          ctx.setLineDash([]);
          ctx.strokeStyle = colorOf[e.rank] || FAULT; ctx.lineWidth = 2.5;
          ctx.beginPath(); ctx.moveTo(px - s, y - s); ctx.lineTo(px + s, y + s);
          ctx.moveTo(px + s, y - s); ctx.lineTo(px - s, y + s); ctx.stroke();
        });
        ctx.restore();
      }
    };

    var ready = {
      id: 'scalelabReady',
      afterRender: function (chart) {
        var n = chart.data.datasets.length, points = 0;
        for (var i = 0; i < n; i++) points += chart.getDatasetMeta(i).data.length;
        status.textContent = 'chart drawn: ' + n + ' datasets, ' + points + ' points';
        status.className = '';
        document.body.dataset.chartReady = '1';
      }
    };

    var datasets = data.ranks.map(function (r) {
      var c = colorOf[r.rank];
      return { label: 'rank ' + r.rank, data: r.points, borderColor: c, backgroundColor: c,
               borderWidth: 1.8, pointRadius: 2.5, pointHoverRadius: 5, tension: 0, spanGaps: true };
    });
    new Chart(document.getElementById('busbw-chart'), {
      type: 'line',
      data: { datasets: datasets },
      plugins: [markers, ready],
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: 'nearest', intersect: false },
        scales: {
          x: { type: 'linear', min: 0, suggestedMax: data.tEnd,
               title: { display: true, text: 'scenario time (s)' } },
          y: { beginAtZero: true, grace: '30%', title: { display: true, text: 'bus bandwidth (GB/s)' } }
        },
        plugins: {
          legend: { position: 'top', labels: { usePointStyle: true, pointStyle: 'circle', boxWidth: 7, boxHeight: 7 } },
          tooltip: { callbacks: {
            title: function (items) { return items.length ? 't = ' + items[0].parsed.x.toFixed(3) + ' s' : ''; },
            label: function (item) {
              var p = item.raw, text = item.dataset.label + ': ' + item.parsed.y.toFixed(3) + ' GB/s busbw';
              if (p.iter !== undefined && p.iter !== null) text += ', iter ' + p.iter;
              if (p.ms !== undefined && p.ms !== null) text += ', ' + p.ms + ' ms';
              return text;
            } } }
        }
      }
    });
    if (document.body.dataset.chartReady !== '1') fail('the chart did not render');
  } catch (e) {
    fail(e && e.message ? e.message : String(e));
  }
})();
)JS";

}  // namespace

std::string html_escape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  for (char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

std::string json_for_script(const json& value) {
  std::string raw = value.dump(-1, ' ', false, json::error_handler_t::replace);
  std::string out;
  out.reserve(raw.size() + 16);
  for (std::size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < raw.size() && raw[i + 1] == '\x80' && (raw[i + 2] == '\xA8' || raw[i + 2] == '\xA9')) {
      out += raw[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string html_report(const std::vector<json>& events, const std::string& chart_library_js) {
  const json empty = json::object();
  const json* scenario = nullptr;
  std::map<int, RankSeries> ranks;
  std::vector<const json*> faults, reroutes, rank_events, verdicts;
  double t_end = 0;
  for (const auto& event : events) {
    const std::string type = event_type(event);
    auto t = number_field(event, "t");
    if (t) t_end = std::max(t_end, *t);
    if (type == "scenario" && !scenario) {
      scenario = &event;
    } else if (type == "iteration") {
      auto rank = rank_of(event);
      auto busbw = number_field(event, "busbw_GBps");
      if (rank && t && busbw) {
        auto field = [&](const char* key) { return event.contains(key) ? event[key] : json(); };
        ranks[*rank].points.push_back({*t, *busbw, field("iter"), field("algbw_GBps"), field("duration_ms")});
      } else if (rank) {
        ranks[*rank];
      }
    } else if (type == "fault") {
      faults.push_back(&event);
    } else if (type == "reroute") {
      reroutes.push_back(&event);
    } else if (type == "agent_error" || type == "rank_exit") {
      rank_events.push_back(&event);
      if (auto rank = rank_of(event)) {
        auto& series = ranks[*rank];
        if (type == "agent_error") ++series.errors;
        else series.exit_status = integer_field(event, "status");
      }
    } else if (type == "verdict") {
      verdicts.push_back(&event);
    }
  }
  const json& sc = scenario ? *scenario : empty;
  if (auto world = integer_field(sc, "world_size")) {
    for (long long r = 0; r < std::min<long long>(*world, kMaxChartRanks); ++r) ranks[static_cast<int>(r)];
  }
  auto by_time = [](const json* a, const json* b) {
    return number_field(*a, "t").value_or(0) < number_field(*b, "t").value_or(0);
  };
  std::stable_sort(faults.begin(), faults.end(), by_time);
  std::stable_sort(reroutes.begin(), reroutes.end(), by_time);
  std::stable_sort(rank_events.begin(), rank_events.end(), by_time);

  // ---- data for the chart
  json chart = {{"ranks", json::array()}, {"faults", json::array()}, {"reroutes", json::array()},
                {"rankEvents", json::array()}, {"tEnd", t_end}};
  for (auto& [rank, series] : ranks) {
    std::stable_sort(series.points.begin(), series.points.end(), [](const Point& a, const Point& b) { return a.t < b.t; });
    json points = json::array();
    for (const auto& p : series.points) {
      json point = {{"x", p.t}, {"y", p.busbw}};
      if (!p.iter.is_null()) point["iter"] = p.iter;
      if (!p.duration_ms.is_null()) point["ms"] = p.duration_ms;
      points.push_back(std::move(point));
    }
    chart["ranks"].push_back({{"rank", rank}, {"points", std::move(points)}});
  }
  auto fault_label = [](const json& f) {
    std::string label = string_field(f, "action", "fault");
    if (auto target = field_text(f, "target"); !target.empty()) label += " " + target;
    if (auto step = field_text(f, "step"); !step.empty()) label = "#" + step + " " + label;
    return label;
  };
  for (const json* f : faults) {
    if (auto t = number_field(*f, "t")) chart["faults"].push_back({{"t", *t}, {"label", fault_label(*f)}});
  }
  for (const json* r : reroutes) {
    if (auto t = number_field(*r, "t")) chart["reroutes"].push_back({{"t", *t}});
  }
  for (const json* e : rank_events) {
    auto t = number_field(*e, "t");
    auto rank = rank_of(*e);
    // A clean exit is the normal end of a rank: the table lists it, the chart marks only failures.
    const bool failure = event_type(*e) == "agent_error" || integer_field(*e, "status").value_or(-1) != 0;
    if (t && rank && failure) chart["rankEvents"].push_back({{"t", *t}, {"rank", *rank}, {"type", event_type(*e)}});
  }

  // ---- the page
  const std::string name = string_field(sc, "name", "scenario");
  std::size_t passed = 0, failed = 0;
  for (const json* v : verdicts) {
    if (v->contains("passed") && (*v)["passed"].is_boolean()) ((*v)["passed"].get<bool>() ? passed : failed)++;
    else failed++;
  }
  std::string badge;
  if (verdicts.empty()) badge = R"(<span class="badge">NO VERDICT</span>)";
  else if (failed == 0) badge = fmt::format(R"(<span class="badge pass">PASSED {}/{}</span>)", passed, verdicts.size());
  else badge = fmt::format(R"(<span class="badge fail">FAILED {}/{}</span>)", failed, verdicts.size());

  std::vector<std::string> parts;
  if (auto cluster = field_text(sc, "cluster"); !cluster.empty()) parts.push_back("cluster <b>" + html_escape(cluster) + "</b>");
  if (auto world = field_text(sc, "world_size"); !world.empty()) parts.push_back("<b>" + html_escape(world) + "</b> ranks");
  if (auto coll = field_text(sc, "collective"); !coll.empty()) {
    std::string text = "<b>" + html_escape(coll) + "</b>";
    if (auto bytes = number_field(sc, "bytes")) text += " of " + html_escape(format_bytes(*bytes));
    parts.push_back(text);
  }
  if (auto transport = field_text(sc, "transport"); !transport.empty()) parts.push_back("transport <b>" + html_escape(transport) + "</b>");
  if (auto dilation = field_text(sc, "dilation"); !dilation.empty()) parts.push_back("time dilation <b>×" + html_escape(dilation) + "</b>");
  std::string scenario_line = "<code>" + html_escape(name) + "</code>";
  for (const auto& p : parts) scenario_line += " · " + p;

  std::string html;
  html.reserve(chart_library_js.size() + 64 * 1024);
  auto out = std::back_inserter(html);
  fmt::format_to(out,
                 "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                 // Nothing may be fetched: the file must read the same offline, years later.
                 "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; script-src 'unsafe-inline'; "
                 "style-src 'unsafe-inline'; img-src data:\">\n"
                 "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                 "<title>scalelab report: {}</title>\n<style>{}</style>\n</head>\n<body data-chart-ready=\"0\">\n<main>\n",
                 html_escape(name), kStyle);
  fmt::format_to(out, "<h1>Scenario report: {} {}</h1>\n<p class=\"scenario\">{}</p>\n", html_escape(name), badge, scenario_line);

  fmt::format_to(out,
                 "<section class=\"card\">\n<h2 style=\"margin-top:0\">Bus bandwidth per rank</h2>\n"
                 "<div class=\"chart-box\"><canvas id=\"busbw-chart\" role=\"img\" aria-label=\"bus bandwidth per rank over "
                 "scenario time\"></canvas></div>\n"
                 "<div class=\"legend-note\">One point per completed iteration, at its end. <span class=\"fault\">Red dashed "
                 "line</span>: fault applied (label: step, action, target). Grey dotted line: reroute. ×: agent error or rank "
                 "exit, in the rank's colour.</div>\n"
                 "<div id=\"chart-status\">chart not drawn (JavaScript off?)</div>\n</section>\n");

  // Verdicts
  html += "<h2>Verdicts</h2>\n";
  if (verdicts.empty()) {
    html += "<p class=\"empty\">No expectation was judged.</p>\n";
  } else {
    html += "<table id=\"verdicts\"><tr><th>expectation</th><th>result</th><th>measured</th><th>required</th></tr>\n";
    for (const json* v : verdicts) {
      std::string result = R"(<span class="badge">?</span>)";
      if (v->contains("passed") && (*v)["passed"].is_boolean()) {
        result = (*v)["passed"].get<bool>() ? R"(<span class="badge pass">PASS</span>)" : R"(<span class="badge fail">FAIL</span>)";
      }
      fmt::format_to(out, "<tr><td><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td></tr>\n",
                     html_escape(field_text(*v, "expectation")), result, html_escape(field_text(*v, "measured")),
                     html_escape(field_text(*v, "required")));
    }
    html += "</table>\n";
  }

  // Faults
  html += "<h2>Faults</h2>\n";
  if (faults.empty()) {
    html += "<p class=\"empty\">No fault was injected.</p>\n";
  } else {
    html += "<table id=\"faults\"><tr><th class=\"num\">step</th><th>action</th><th>target</th><th>detail</th>"
            "<th class=\"num\">scheduled (s)</th><th class=\"num\">applied (s)</th><th class=\"num\">lateness (ms)</th></tr>\n";
    for (const json* f : faults) {
      auto late = number_field(*f, "lateness_ms");
      std::string lateness = late ? fmt::format("{:.1f}", *late) : html_escape(field_text(*f, "lateness_ms"));
      // More than 100 ms late is worth a glance: the drill's timing was not what it said.
      const char* cls = late && *late > 100 ? " late" : "";
      fmt::format_to(out, "<tr><td class=\"num\">{}</td><td><code>{}</code></td><td><code>{}</code></td><td>{}</td>"
                          "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num{}\">{}</td></tr>\n",
                     html_escape(field_text(*f, "step")), html_escape(field_text(*f, "action")), html_escape(field_text(*f, "target")),
                     html_escape(field_text(*f, "detail")), seconds(number_field(*f, "scheduled")), seconds(number_field(*f, "t")), cls,
                     lateness);
    }
    html += "</table>\n";
  }
  if (!reroutes.empty()) {
    html += "<p>Reroutes at ";
    bool first = true;
    for (const json* r : reroutes) {
      fmt::format_to(out, "{}{} s", first ? "" : ", ", seconds(number_field(*r, "t")));
      if (auto n = field_text(*r, "routes_changed"); !n.empty()) fmt::format_to(out, " ({} routes)", html_escape(n));
      first = false;
    }
    html += ".</p>\n";
  }

  // Agent errors and rank exits
  html += "<h2>Agent errors and rank exits</h2>\n";
  if (rank_events.empty()) {
    html += "<p class=\"empty\">None.</p>\n";
  } else {
    html += "<table id=\"rank-events\"><tr><th class=\"num\">t (s)</th><th class=\"num\">rank</th><th>event</th><th>detail</th></tr>\n";
    for (const json* e : rank_events) {
      std::string detail;
      if (event_type(*e) == "agent_error") {
        std::vector<std::string> bits;
        if (auto peer = field_text(*e, "peer"); !peer.empty()) bits.push_back("peer " + peer);
        if (auto link = field_text(*e, "link"); !link.empty()) bits.push_back("link " + link);
        std::string via;
        for (const char* key : {"tier", "transport"}) {
          if (auto v = field_text(*e, key); !v.empty()) via += (via.empty() ? "" : ", ") + v;
        }
        if (!via.empty()) bits.push_back("(" + via + ")");
        std::string joined;
        for (const auto& b : bits) joined += (joined.empty() ? "" : " ") + b;
        auto cause = field_text(*e, "cause");
        detail = joined.empty() ? cause : (cause.empty() ? joined : joined + ": " + cause);
      } else {
        detail = "exit status " + field_text(*e, "status");
      }
      fmt::format_to(out, "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td><td>{}</td></tr>\n",
                     seconds(number_field(*e, "t")), html_escape(field_text(*e, "rank")),
                     event_type(*e) == "agent_error" ? "agent error" : "rank exit", html_escape(detail));
    }
    html += "</table>\n";
  }

  // Per rank
  html += "<h2>Per rank</h2>\n<table id=\"ranks\"><tr><th class=\"num\">rank</th><th class=\"num\">iterations</th>"
          "<th class=\"num\">busbw mean (GB/s)</th><th class=\"num\">min</th><th class=\"num\">max</th>"
          "<th class=\"num\">last iteration end (s)</th><th class=\"num\">agent errors</th><th>exit</th></tr>\n";
  for (const auto& [rank, series] : ranks) {
    double sum = 0, lo = INFINITY, hi = -INFINITY;
    for (const auto& p : series.points) {
      sum += p.busbw;
      lo = std::min(lo, p.busbw);
      hi = std::max(hi, p.busbw);
    }
    const bool any = !series.points.empty();
    fmt::format_to(out, "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
                        "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td>{}</td></tr>\n",
                   rank, series.points.size(), any ? fmt::format("{:.3f}", sum / series.points.size()) : "—",
                   any ? fmt::format("{:.3f}", lo) : "—", any ? fmt::format("{:.3f}", hi) : "—",
                   any ? seconds(series.points.back().t) : "—", series.errors,
                   series.exit_status ? fmt::format("status {}", *series.exit_status) : "—");
  }
  html += "</table>\n";

  const std::string banner = library_banner(chart_library_js);
  fmt::format_to(out, "<footer>Generated by scalelab from {} events{}.</footer>\n</main>\n", events.size(),
                 banner.empty() ? "" : "; chart drawn with " + html_escape(banner) + " (MIT), inlined");
  fmt::format_to(out, "<script type=\"application/json\" id=\"report-data\">{}</script>\n", json_for_script(chart));
  html += "<script>\n";
  html += script_safe(chart_library_js);
  html += "\n</script>\n<script>";
  html += kChartScript;
  html += "</script>\n</body>\n</html>\n";
  return html;
}

}  // namespace scalelab::report
