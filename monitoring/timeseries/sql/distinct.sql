{#
Unique values of a field (WiFi clients) per bucket and over the whole window, from rollups
and raw points. Rollup periods hold bitmaps of client ids (pages of :page_bits ids); raw
points hold MACs. Every raw MAC becomes a bit of its bucket's pages too: its id's if it has
one (seen before the last refresh), else one of the pages below zero, which no id reaches,
numbered in the order of the MACs (the same bit wherever the MAC is seen). A bucket's
clients are then the bits set in the union of its pages; the window's, in the union of all
pages. Only unions and aggregations: no join of pages with pages, whose cost would depend on
the planner's estimates of them. GROUP BY (): one row, even without any input. Counts of
bits are bigint: numeric sums are slower.
#}
{% from "macros.sql" import bucket, where, rollup_range, raw_values, interface_key, window_group with context %}
{# a page with the bit of one client id set #}
{% macro page_bit(id) -%}
set_bit(CAST(repeat('0', {{ page_bits }}) AS bit({{ page_bits }})), {{ id }} % {{ page_bits }}, 1)
{%- endmacro %}
WITH raw_values AS (
    {{ raw_values() | indent(4) }}
),
pages AS (
    SELECT {{ interface_key() }}bucket, page, bit_or(clients) AS clients
    FROM (
{% for segment in range(segments) %}
{% if not loop.first %}
        UNION ALL
{% endif %}
        SELECT {{ interface_key() }}{{ bucket("time") }} AS bucket, page, clients
        FROM {{ rollup }}
        {{ where(rollup_range(segment)) | indent(8) }}
{% endfor %}
        UNION ALL
        SELECT {{ interface_key("raw_values") }}raw_values.bucket, ids.id / {{ page_bits }} AS page, {{ page_bit("ids.id") }} AS clients
        FROM raw_values JOIN rollup_client_ids AS ids ON ids.mac = raw_values.value
        UNION ALL
        SELECT {{ interface_key() }}bucket, -1 - number / {{ page_bits }} AS page, {{ page_bit("number") }} AS clients
        FROM (
            SELECT {{ interface_key() }}bucket, CAST(dense_rank() OVER (ORDER BY value) - 1 AS integer) AS number
            FROM raw_values
            WHERE value IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rollup_client_ids AS ids WHERE ids.mac = raw_values.value)
        ) AS new_clients
    ) AS periods
    GROUP BY {{ interface_key() }}bucket, page
),
merged AS (
    SELECT {{ interface_key() }}bucket, 0 AS total, CAST(sum(bit_count(clients)) AS bigint) AS count
    FROM pages
    GROUP BY {{ interface_key() }}bucket
    UNION ALL
    SELECT {{ interface_key() }}NULL, 1, CAST(sum(bit_count(clients)) AS bigint)
    FROM (SELECT {{ interface_key() }}page, bit_or(clients) AS clients FROM pages GROUP BY {{ interface_key() }}page) AS window_pages
    GROUP BY {{ window_group() }}
)
{% include "grid.sql" %}
