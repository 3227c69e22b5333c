WITH raw_values AS (
    SELECT DISTINCT ifname, bucket, value
    FROM (
        SELECT ifname, time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, client_mac AS value
        FROM wifi_client_points
        WHERE device_id = :device_id AND ifname = ANY(CAST(:ifnames AS text[]))
          AND time >= :gap_from_0 AND time < :gap_to_0 AND time < GREATEST(:rollup_from, LEAST(:rollup_to, COALESCE((SELECT watermark FROM rollup_state WHERE id = 1), CAST('-infinity' AS timestamptz))))
        UNION ALL
        SELECT ifname, time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, client_mac AS value
        FROM wifi_client_points
        WHERE device_id = :device_id AND ifname = ANY(CAST(:ifnames AS text[]))
          AND time >= :tail_from AND time >= GREATEST(:rollup_from, LEAST(:rollup_to, COALESCE((SELECT watermark FROM rollup_state WHERE id = 1), CAST('-infinity' AS timestamptz)))) AND time < :stop
    ) AS raw_parts
),
pages AS (
    SELECT ifname, bucket, page, bit_or(clients) AS clients
    FROM (
        SELECT ifname, time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, page, clients
        FROM wifi_client_rollups
        WHERE device_id = :device_id AND ifname = ANY(CAST(:ifnames AS text[]))
          AND grain = CAST(:grain_0 AS interval) AND time >= :first_0 AND time < :last_0
        UNION ALL
        SELECT ifname, time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, page, clients
        FROM wifi_client_rollups
        WHERE device_id = :device_id AND ifname = ANY(CAST(:ifnames AS text[]))
          AND grain = CAST(:grain_1 AS interval) AND time >= :first_1 AND time < :last_1
        UNION ALL
        SELECT raw_values.ifname, raw_values.bucket, ids.id / 1024 AS page, set_bit(CAST(repeat('0', 1024) AS bit(1024)), ids.id % 1024, 1) AS clients
        FROM raw_values JOIN rollup_client_ids AS ids ON ids.mac = raw_values.value
        UNION ALL
        SELECT ifname, bucket, -1 - number / 1024 AS page, set_bit(CAST(repeat('0', 1024) AS bit(1024)), number % 1024, 1) AS clients
        FROM (
            SELECT ifname, bucket, CAST(dense_rank() OVER (ORDER BY value) - 1 AS integer) AS number
            FROM raw_values
            WHERE value IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rollup_client_ids AS ids WHERE ids.mac = raw_values.value)
        ) AS new_clients
    ) AS periods
    GROUP BY ifname, bucket, page
),
merged AS (
    SELECT ifname, bucket, 0 AS total, CAST(sum(bit_count(clients)) AS bigint) AS count
    FROM pages
    GROUP BY ifname, bucket
    UNION ALL
    SELECT ifname, NULL, 1, CAST(sum(bit_count(clients)) AS bigint)
    FROM (SELECT ifname, page, bit_or(clients) AS clients FROM pages GROUP BY ifname, page) AS window_pages
    GROUP BY (ifname)
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
