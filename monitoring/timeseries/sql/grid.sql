{#
The end of every chart statement, after its CTE "merged" (per bucket, and interface when read
per interface: total 0 and the partial aggregates; whole-window rows: total 1).
Gap-filled buckets first: one row per bucket of the grid (and per interface of :ifnames, its
place in the list as "series"), position 1, 2, … in the grid, left-joined to the merged
partials. Then, but for sums and counts (which add up the buckets' in Python), the
whole-window rows, without a position. Unordered: the position says where a row goes.
#}
{% from "macros.sql" import grid with context %}
SELECT {% if per_interface %}interfaces.series, {% endif %}grid.bucket, grid.position, 0 AS total, merged.{{ columns | join(", merged.") }}
FROM {% if per_interface %}unnest(CAST(:ifnames AS text[])) WITH ORDINALITY AS interfaces(ifname, series)
CROSS JOIN {% endif %}{{ grid() }}
LEFT JOIN merged ON merged.bucket = grid.bucket{% if per_interface %} AND merged.ifname = interfaces.ifname{% endif %}{% if window_rows %} AND merged.total = 0{% endif +%}
{% if window_rows %}
UNION ALL
SELECT {% if per_interface %}array_position(CAST(:ifnames AS text[]), merged.ifname), {% endif %}merged.bucket, NULL, merged.total, merged.{{ columns | join(", merged.") }}
FROM merged
WHERE merged.total = 1
{% endif %}
