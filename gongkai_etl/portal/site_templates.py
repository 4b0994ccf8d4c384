"""Jinja2 templates of the static catalog pages (autoescaped; no external
script, font or stylesheet: system CJK fonts only)."""

from __future__ import annotations

STYLE = """
:root { color-scheme: light; --ink: #1f2329; --muted: #646a73; --line: #dee0e3; --accent: #b8261c; --bg: #f7f8fa; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--ink); background: var(--bg); line-height: 1.6;
  font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "WenQuanYi Micro Hei", sans-serif; }
header.top { background: var(--accent); color: #fff; padding: 18px 32px; }
header.top h1 { margin: 0; font-size: 26px; letter-spacing: 1px; }
header.top .en { color: #fde8e6; }
header.top a { color: #fff; }
main { max-width: 1180px; margin: 0 auto; padding: 18px 32px 48px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 14px 20px; margin: 16px 0; }
h2 { font-size: 20px; margin: 4px 0 10px; border-left: 4px solid var(--accent); padding-left: 10px; }
h2 .en, .en { color: var(--muted); font-weight: normal; font-size: 0.9em; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { border-bottom: 1px solid var(--line); padding: 6px 8px; text-align: left; vertical-align: top; }
th { background: #f2f3f5; font-weight: 600; white-space: nowrap; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
a { color: #1456c0; text-decoration: none; }
a:hover { text-decoration: underline; }
.muted { color: var(--muted); font-size: 12px; }
.downloads a { display: inline-block; margin: 0 8px 2px 0; padding: 0 6px; border: 1px solid #c5d3ef; border-radius: 3px; font-size: 13px; }
.status { display: inline-block; padding: 0 8px; border-radius: 10px; font-size: 13px; background: #e8f3ea; color: #1d7a35; }
.status-late, .status-not_yet_due { background: #fff4e0; color: #8a5300; }
.status-overdue { background: #fdecea; color: #b3261e; }
.overdue { color: #b3261e; font-size: 12px; }
code.hash { font-size: 11px; word-break: break-all; color: var(--muted); }
dl.meta { display: grid; grid-template-columns: 8em 1fr; gap: 2px 12px; margin: 0; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; }
.chart svg { max-width: 100%; height: auto; }
svg.trend text { font-family: inherit; font-size: 12px; fill: #3c4043; }
svg.trend .axis-title { font-size: 13px; fill: var(--ink); }
svg.trend .axis { stroke: #8f959e; stroke-width: 1; }
svg.trend .grid { stroke: #eceef1; stroke-width: 1; }
svg.trend .line { fill: none; stroke: #b8261c; stroke-width: 2; }
svg.trend .point { fill: #fff; stroke: #b8261c; stroke-width: 2; }
.preview { overflow-x: auto; }
.preview td { white-space: nowrap; }
.counts span { margin-right: 8px; white-space: nowrap; display: inline-block; }
table.datasets { table-layout: fixed; }
.added { color: #1d7a35; } .removed { color: #b3261e; } .changed { color: #8a5300; }
footer { color: var(--muted); font-size: 12px; text-align: center; padding: 12px; }
"""

BASE = """<!doctype html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="{{ generator }}">
<title>{% block title %}{% endblock %}</title>
<style>{{ style }}</style>
</head>
<body>
{% block body %}{% endblock %}
<footer>由 {{ generator }} 生成 · generated {{ generated }}</footer>
</body>
</html>
"""

INDEX = """{% extends "base.html" %}
{% block title %}{{ title_zh }}{% endblock %}
{% block body %}
<header class="top">
<h1>{{ title_zh }}</h1>
<div class="en">{{ title_en }}</div>
<p id="summary">共 <strong id="dataset-count" data-count="{{ count }}">{{ count }}</strong> 个数据集 · <a href="{{ catalog | href }}">DCAT 目录 {{ catalog }}</a></p>
</header>
<main>
{% for g in groups %}
<section class="domain" data-domain="{{ g.zh }}">
<h2>{{ g.zh }} {% if g.en %}<span class="en">{{ g.en }}</span>{% endif %}</h2>
<table class="datasets">
<colgroup><col style="width:32%"><col style="width:8%"><col style="width:10%"><col style="width:20%"><col style="width:14%"><col style="width:16%"></colgroup>
<thead><tr><th>资源名称</th><th>更新周期</th><th>最新期间</th><th>发布状态</th><th>本期变更</th><th>下载</th></tr></thead>
<tbody>
{% for d in g.datasets %}
<tr class="dataset" data-dataset="{{ d.id }}" data-latest="{{ d.latest }}">
<td><a class="title" href="{{ (d.id ~ '/index.html') | href }}">{{ d.title_zh }}</a>{% if d.title_en %}<div class="en">{{ d.title_en }}</div>{% endif %}</td>
<td>{{ d.cadence_zh }}</td>
<td>{{ d.latest }}<div class="muted">共 {{ d.periods }} 期</div></td>
<td><span class="status status-{{ d.status.key }}" title="{{ d.status.title }}">{{ d.status.label }}</span><div class="muted">{{ d.status.date }}</div>{% if d.status.overdue %}<div class="overdue">{{ d.status.overdue }}</div>{% endif %}{% if d.status.records %}<div class="muted records">{{ d.status.records }}</div>{% endif %}</td>
<td class="counts">{% if d.changes %}{% for label, key, n in d.changes.counts %}<span class="{{ key }}">{{ label }} {{ n }}</span>{% endfor %}{% else %}<span class="muted">{{ d.changes_note }}</span>{% endif %}</td>
<td class="downloads">{% for l in d.downloads %}<a href="{{ l.href | href }}">{{ l.label }}</a>{% endfor %}</td>
</tr>
{% endfor %}
</tbody>
</table>
</section>
{% else %}
<section><p>尚无已发布的数据集 (nothing published yet).</p></section>
{% endfor %}
</main>
{% endblock %}
"""

DATASET = """{% extends "base.html" %}
{% block title %}{{ ds.title_zh }}{% endblock %}
{% block body %}
<header class="top">
<div><a href="../index.html">← 数据目录 catalog</a></div>
<h1 id="dataset-title">{{ ds.title_zh }}</h1>
{% if ds.title_en %}<div class="en">{{ ds.title_en }}</div>{% endif %}
</header>
<main data-dataset="{{ ds.id }}">
<section class="about">
<h2>基本信息 <span class="en">about</span></h2>
{% if ds.description %}<p>{{ ds.description }}</p>{% endif %}
<dl class="meta">
<dt>资源标识</dt><dd><code>{{ ds.id }}</code></dd>
<dt>提供方</dt><dd>{{ publisher_zh }}{% if publisher_en %} <span class="en">{{ publisher_en }}</span>{% endif %}</dd>
<dt>所属领域</dt><dd>{{ domain[0] }}{% if domain[1] %} <span class="en">{{ domain[1] }}</span>{% endif %}</dd>
<dt>更新周期</dt><dd>{{ cadence_zh }} <span class="en">{{ ds.cadence.value }}, {{ ds.cadence.iso_duration }}</span></dd>
<dt>开放属性</dt><dd>{{ ds.open_attribute }}</dd>
<dt>最新期间</dt><dd>{{ latest.period }} <span class="status status-{{ status.key }}" title="{{ status.title }}">{{ status.label }}</span> <span class="muted">{{ status.date }}</span>{% if status.overdue %} <span class="overdue">{{ status.overdue }}</span>{% endif %}</dd>
{% if status.records %}<dt>逐条时效</dt><dd class="records">{{ status.records }} <span class="en">records published within their own deadline</span></dd>{% endif %}
{% if ds.keywords %}<dt>关键词</dt><dd>{{ ds.keywords | join("，") }}</dd>{% endif %}
{% if ds.primary_key %}<dt>主键</dt><dd><code>{{ ds.primary_key | join(", ") }}</code></dd>{% endif %}
<dt>元数据</dt><dd class="downloads"><a href="datapackage.json">datapackage.json</a><a href="../catalog.json">catalog.json</a></dd>
</dl>
</section>

<section class="chart" id="trend">
<h2>趋势 <span class="en">trend</span></h2>
{% if chart %}
{{ chart }}
{% if reject_notes %}<ul class="notes" id="reject-notes">{% for note in reject_notes %}<li class="muted">{{ note }}</li>{% endfor %}</ul>{% endif %}
{% elif ds.headline %}
<p class="muted">暂无可绘制的数据 (no values to chart).</p>
{% else %}
<p class="muted">本数据集未指定趋势指标 (no headline figure declared).</p>
{% endif %}
</section>

<section class="periods">
<h2>各期数据 <span class="en">periods and files</span></h2>
<table id="periods">
<thead><tr><th>期间</th><th>版本</th><th>发布时间</th><th>行数</th><th>文件 · 大小 · sha256</th><th>较上期变更</th></tr></thead>
<tbody>
{% for p in periods %}
<tr class="period" data-period="{{ p.period }}">
<td>{{ p.period }}</td>
<td>v{{ p.version }}</td>
<td>{{ p.published }}{% if p.reviewed_by %}<div class="muted">审核 {{ p.reviewed_by }}</div>{% endif %}</td>
<td class="num">{{ p.rows | thousands }}</td>
<td>{% for f in p.files %}<div class="file"><a href="{{ f.rel | href }}">{{ f.label }}</a> <span class="muted" title="{{ f.bytes | thousands }} 字节 bytes">{{ f.bytes | human_bytes }}</span><br><code class="hash">{{ f.sha256 }}</code></div>{% endfor %}</td>
<td class="counts">{% if p.changes %}<div>对比 {{ p.changes.previous_period }}</div>{% for label, key, n in p.changes.counts %}<span class="{{ key }}" data-change="{{ key }}" data-count="{{ n }}">{{ label }} {{ n }}</span>{% endfor %}<div class="downloads">{% for f in p.changes.files %}<a href="{{ f.rel | href }}">变更明细 {{ f.label }}</a>{% endfor %}</div>{% else %}<span class="muted">{{ changes_note }}</span>{% endif %}</td>
</tr>
{% endfor %}
</tbody>
</table>
</section>

<section class="schema">
<h2>数据结构（信息项） <span class="en">schema</span></h2>
<table id="schema">
<thead><tr><th>字段名</th><th>中文名称</th><th>英文名称</th><th>类型</th><th>单位</th><th>必填</th><th>约束与说明</th></tr></thead>
<tbody>
{% for f in schema %}
<tr><td><code>{{ f.name }}</code>{% if f.key %} <span class="muted">主键</span>{% endif %}</td><td>{{ f.title_zh }}</td><td class="en">{{ f.title_en }}</td><td>{{ f.type_zh }} <span class="muted">{{ f.type }}</span></td><td>{{ f.unit }}</td><td>{{ "是" if f.required else "" }}</td><td>{{ f.notes }}</td></tr>
{% endfor %}
</tbody>
</table>
</section>

<section class="preview">
<h2>数据预览 <span class="en">preview: {{ preview_period }}, first {{ preview_rows | length }} of {{ preview_total | thousands }} rows</span></h2>
{% if preview_columns %}
<table id="preview">
<thead><tr>{% for c in preview_columns %}<th title="{{ c.name }}">{{ c.title }}{% if c.unit %}（{{ c.unit }}）{% endif %}<div class="muted">{{ c.name }}</div></th>{% endfor %}</tr></thead>
<tbody>
{% for row in preview_rows %}<tr>{% for v in row %}<td>{{ v }}</td>{% endfor %}</tr>
{% endfor %}
</tbody>
</table>
{% else %}
<p class="muted">无数据文件可预览 (no file to preview).</p>
{% endif %}
</section>
</main>
{% endblock %}
"""

TEMPLATES = {
    "base.html": BASE.replace("{{ style }}", STYLE),
    "index.html": INDEX,
    "dataset.html": DATASET,
}
