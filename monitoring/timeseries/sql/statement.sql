{#
The one statement of a chart request: the window's bucket starts, then the rows of each
sub-select as JSON arrays, one per column (the series of the row when read per interface,
its position in the grid, its partial aggregates). The arrays of one sub-select come from
one aggregation, so their rows are in the same order, whichever it is: ordered aggregates
would sort once per array. Each sub-select's parameters carry its number (:s0_width, …);
the bucket starts' carry the number after the last sub-select.
#}
SELECT
    ({{ buckets | indent(4) }}),
{% for sub_select in sub_selects %}
    (SELECT CAST(json_build_array({% for column in sub_select.columns %}array_agg(rows.{{ column }}){% if not loop.last %}, {% endif %}{% endfor %}) AS text)
     FROM (
        {{ sub_select.sql | indent(8) }}
     ) AS rows){% if not loop.last %},{% endif +%}
{% endfor %}
