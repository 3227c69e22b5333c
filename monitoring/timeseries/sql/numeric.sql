{#
Sums and counts of numeric fields (means, sums) from rollups and raw points: whole periods
from the rollup's segments, the rest (the edges, stale hours, the tail after the watermark)
from raw points, merged per bucket. Raw points are summed up per bucket first (many points,
few buckets); rollup rows, a period each, go to the merge as they are: a second aggregation
of about as many rows would cost more than it saves.
#}
{% from "macros.sql" import bucket, where, raw_range, rollup_range, raw_sums, interface_key with context %}
WITH partials AS (
{% for part in raw_parts %}
{% if not loop.first %}
    UNION ALL
{% endif %}
    {{ raw_sums(raw_range(part)) | indent(4) }}
{% endfor %}
{% for segment in range(segments) %}
    UNION ALL
    SELECT {{ interface_key() }}{{ bucket("time") }} AS bucket, {{ sum_columns | join(", ") }}
    FROM {{ rollup }}
    {{ where(rollup_range(segment)) | indent(4) }}
{% endfor %}
),
merged AS (
    SELECT {{ interface_key() }}bucket,
{% for _, total, count in sums %}
           sum({{ total }}) AS {{ total }}, sum({{ count }}) AS {{ count }}{% if not loop.last %},{% endif +%}
{% endfor %}
    FROM partials
    GROUP BY {{ interface_key() }}bucket
)
{% include "grid.sql" %}
