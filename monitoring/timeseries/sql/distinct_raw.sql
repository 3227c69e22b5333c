{#
Unique values of a field (WiFi clients) per bucket and over the whole window, from raw
points only: the distinct (bucket, value) pairs, then in one pass the values of each bucket
and the distinct values of the window. count(value): NULL is no value.
#}
{% from "macros.sql" import raw_values, interface_key, window_group with context %}
WITH raw_values AS (
    {{ raw_values() | indent(4) }}
),
counted AS (
    SELECT {{ interface_key() }}bucket, value, GROUPING(value) AS per_bucket, count(value) AS count
    FROM raw_values
    GROUP BY GROUPING SETS (({{ interface_key() }}bucket), ({{ interface_key() }}value))
),
merged AS (
    SELECT {{ interface_key() }}bucket, 0 AS total, count FROM counted WHERE per_bucket = 1
    UNION ALL
    SELECT {{ interface_key() }}NULL, 1, count(value) FROM counted WHERE per_bucket = 0 GROUP BY {{ window_group() }}
)
{% include "grid.sql" %}
