{#
Sums and counts of numeric fields (means, sums) from raw points only: summed up per bucket at
once, nothing to merge.
#}
{% from "macros.sql" import raw_sums with context %}
WITH merged AS (
    {{ raw_sums("time >= :start AND time < :stop") | indent(4) }}
)
{% include "grid.sql" %}
