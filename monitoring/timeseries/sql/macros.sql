{#
Pieces shared by the chart statements. Imported "with context": they read the structure of
the statement being rendered (chart_queries.sql_for says what each name holds).
#}

{# The bucket of an instant: its local wall-clock time in the requested zone, cut into
   buckets of the requested width aligned on 1970-01-01 00:00 local (as InfluxDB does). #}
{% macro bucket(instant) -%}
time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), {{ instant }}), CAST(:origin AS timestamp))
{%- endmacro %}

{# The bucket starts of the window, numbered from 1 (the position of a row in the grid). #}
{% macro grid() -%}
generate_series(
    {{ bucket(":start") }},
    {{ bucket(":end") }},
    CAST(:width AS interval)
) WITH ORDINALITY AS grid(bucket, position)
{%- endmacro %}

{# One filter in force: a column equal to a parameter, or to any element of a list. #}
{% macro condition(column, list_type, parameter) -%}
{% if list_type %}
{{ column }} = ANY(CAST(:{{ parameter }} AS {{ list_type }}[]))
{%- else %}
{{ column }} = :{{ parameter }}
{%- endif %}
{%- endmacro %}

{# Which points a series aggregates (the filters in force), then a range of time on a line of
   its own: indent the result as deep as the WHERE. #}
{% macro where(time_range) -%}
{% if filters %}
WHERE {% for filter in filters %}{{ condition(*filter) }}{% if not loop.last %} AND {% endif %}{% endfor +%}
  AND {{ time_range }}
{%- else %}
WHERE {{ time_range }}
{%- endif %}
{%- endmacro %}

{# Where rollups stop and raw points take over: the end of the whole periods, or the
   watermark if earlier. Read in the same statement as the rollup rows (one snapshot), so a
   refresh committing meanwhile cannot make a point counted twice or not at all; the period
   the watermark falls in holds exactly the points before it. #}
{% macro rollup_end() -%}
GREATEST(:rollup_from, LEAST(:rollup_to, COALESCE((SELECT watermark FROM rollup_state WHERE id = 1), CAST('-infinity' AS timestamptz))))
{%- endmacro %}

{# The instants of one raw part (raw_parts): the whole window when no rollup is read;
   otherwise each gap between rollup segments (an edge, a stale hour), up to where the
   rollups end, then the tail from there. The tail also gets the watermark the caller read
   beforehand (:tail_from, never later than the statement's own): a constant the planner
   can exclude chunks with. #}
{% macro raw_range(part) -%}
{% if part == "window" %}
time >= :start AND time < :stop
{%- elif part == "tail" %}
time >= :tail_from AND time >= {{ rollup_end() }} AND time < :stop
{%- else %}
time >= :gap_from_{{ part }} AND time < :gap_to_{{ part }} AND time < {{ rollup_end() }}
{%- endif %}
{%- endmacro %}

{# The periods of one rollup segment: its grain, its first period and the end of its last.
   No row starts at or after the watermark (a refresh writes its rows and the watermark in
   one transaction), so the rows a statement sees end where its raw tail starts. #}
{% macro rollup_range(segment) -%}
grain = CAST(:grain_{{ segment }} AS interval) AND time >= :first_{{ segment }} AND time < :last_{{ segment }}
{%- endmacro %}

{# What identifies a series among the rows besides the bucket, with a comma: the interface
   when the statement reads one series per interface, nothing otherwise. #}
{% macro interface_key(table=none) -%}
{% if per_interface %}{{ table ~ "." if table else "" }}ifname, {% endif %}
{%- endmacro %}

{# The grouping set of the whole-window rows: one per interface, or one in all. #}
{% macro window_group() -%}
{% if per_interface %}(ifname){% else %}(){% endif %}
{%- endmacro %}

{# A numeric field's partial aggregates from the raw points of a range: per bucket (and
   interface), the exact sum (numeric: the order of additions, raw or rollup, cannot change
   it) and the count of each field. #}
{% macro raw_sums(time_range) -%}
SELECT {{ interface_key() }}{{ bucket("time") }} AS bucket,
{% for field, total, count in sums %}
       sum(CAST({{ field }} AS numeric)) AS {{ total }}, count({{ field }}) AS {{ count }}{% if not loop.last %},{% endif +%}
{% endfor %}
FROM {{ raw }}
{{ where(time_range) }}
GROUP BY {% if per_interface %}1, 2{% else %}1{% endif %}
{%- endmacro %}

{# The distinct (bucket, value) pairs of the raw parts, by hashing: counting distinct values
   group by group would sort every point. #}
{% macro raw_values() -%}
SELECT DISTINCT {{ interface_key() }}bucket, value
FROM (
{% for part in raw_parts %}
{% if not loop.first %}
    UNION ALL
{% endif %}
    SELECT {{ interface_key() }}{{ bucket("time") }} AS bucket, {{ field }} AS value
    FROM {{ raw }}
    {{ where(raw_range(part)) | indent(4) }}
{% endfor %}
) AS raw_parts
{%- endmacro %}
