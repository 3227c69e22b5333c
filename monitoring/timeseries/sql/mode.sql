{#
The most frequent value of a field per bucket and over the whole window; on a tie the one
seen first (InfluxDB's MODE()). Raw points and rollup periods both give, per bucket and
value, the number of samples and the first time seen, which merge exactly (sum, min).
Raw points only use this template too: one raw part, the whole window, and no rollup segment.
#}
{% from "macros.sql" import bucket, where, raw_range, rollup_range with context %}
WITH partials AS (
{% for part in raw_parts %}
{% if not loop.first %}
    UNION ALL
{% endif %}
    SELECT {{ bucket("time") }} AS bucket, {{ field }} AS value, count(*) AS samples, min(time) AS first_time
    FROM {{ raw }}
    {{ where(raw_range(part)) | indent(4) }} AND {{ field }} IS NOT NULL
    GROUP BY 1, 2
{% endfor %}
{% for segment in range(segments) %}
    UNION ALL
    SELECT {{ bucket("time") }} AS bucket, {{ field }} AS value, sum(samples) AS samples, min(first_time) AS first_time
    FROM {{ rollup }}
    {{ where(rollup_range(segment)) | indent(4) }}
    GROUP BY 1, 2
{% endfor %}
),
counted AS (
    SELECT bucket, GROUPING(bucket) AS total, value, sum(samples) AS samples, min(first_time) AS first_time
    FROM partials
    GROUP BY GROUPING SETS ((bucket, value), (value))
),
{# the most frequent value; on a tie the one seen first #}
merged AS (
    SELECT DISTINCT ON (total, bucket) bucket, total, value, samples
    FROM counted
    ORDER BY total, bucket, samples DESC, first_time, value
)
{% include "grid.sql" %}
