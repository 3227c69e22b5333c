WITH raw_values AS (
    SELECT DISTINCT ifname, bucket, value
    FROM (
        SELECT ifname, time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, client_mac AS value
        FROM wifi_client_points
        WHERE device_id = :device_id AND ifname = ANY(CAST(:ifnames AS text[]))
          AND time >= :start AND time < :stop
    ) AS raw_parts
),
counted AS (
    SELECT ifname, bucket, value, GROUPING(value) AS per_bucket, count(value) AS count
    FROM raw_values
    GROUP BY GROUPING SETS ((ifname, bucket), (ifname, value))
),
merged AS (
    SELECT ifname, bucket, 0 AS total, count FROM counted WHERE per_bucket = 1
    UNION ALL
    SELECT ifname, NULL, 1, count(value) FROM counted WHERE per_bucket = 0 GROUP BY (ifname)
)
SELECT interfaces.series, grid.bucket, grid.position, 0 AS total, merged.count
FROM unnest(CAST(:ifnames AS text[])) WITH ORDINALITY AS interfaces(ifname, series)
CROSS JOIN generate_series(
    time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), :start), CAST(:origin AS timestamp)),
    time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), :end), CAST(:origin AS timestamp)),
    CAST(:width AS interval)
) WITH ORDINALITY AS grid(bucket, position)
LEFT JOIN merged ON merged.bucket = grid.bucket AND merged.ifname = interfaces.ifname AND merged.total = 0
UNION ALL
SELECT array_position(CAST(:ifnames AS text[]), merged.ifname), merged.bucket, NULL, merged.total, merged.count
FROM merged
WHERE merged.total = 1
