WITH partials AS (
    SELECT ifname, time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket,
           sum(CAST(rx_bytes AS numeric)) AS rx_bytes_sum, count(rx_bytes) AS rx_bytes_count,
           sum(CAST(tx_bytes AS numeric)) AS tx_bytes_sum, count(tx_bytes) AS tx_bytes_count
    FROM traffic_points
    WHERE device_id = :device_id AND ifname = ANY(CAST(:ifnames AS text[]))
      AND time >= :gap_from_0 AND time < :gap_to_0 AND time < GREATEST(:rollup_from, LEAST(:rollup_to, COALESCE((SELECT watermark FROM rollup_state WHERE id = 1), CAST('-infinity' AS timestamptz))))
    GROUP BY 1, 2
    UNION ALL
    SELECT ifname, time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket,
           sum(CAST(rx_bytes AS numeric)) AS rx_bytes_sum, count(rx_bytes) AS rx_bytes_count,
           sum(CAST(tx_bytes AS numeric)) AS tx_bytes_sum, count(tx_bytes) AS tx_bytes_count
    FROM traffic_points
    WHERE device_id = :device_id AND ifname = ANY(CAST(:ifnames AS text[]))
      AND time >= :tail_from AND time >= GREATEST(:rollup_from, LEAST(:rollup_to, COALESCE((SELECT watermark FROM rollup_state WHERE id = 1), CAST('-infinity' AS timestamptz)))) AND time < :stop
    GROUP BY 1, 2
    UNION ALL
    SELECT ifname, time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, rx_bytes_sum, rx_bytes_count, tx_bytes_sum, tx_bytes_count
    FROM traffic_rollups
    WHERE device_id = :device_id AND ifname = ANY(CAST(:ifnames AS text[]))
      AND grain = CAST(:grain_0 AS interval) AND time >= :first_0 AND time < :last_0
    UNION ALL
    SELECT ifname, time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, rx_bytes_sum, rx_bytes_count, tx_bytes_sum, tx_bytes_count
    FROM traffic_rollups
    WHERE device_id = :device_id AND ifname = ANY(CAST(:ifnames AS text[]))
      AND grain = CAST(:grain_1 AS interval) AND time >= :first_1 AND time < :last_1
),
merged AS (
    SELECT ifname, bucket,
           sum(rx_bytes_sum) AS rx_bytes_sum, sum(rx_bytes_count) AS rx_bytes_count,
           sum(tx_bytes_sum) AS tx_bytes_sum, sum(tx_bytes_count) AS tx_bytes_count
    FROM partials
    GROUP BY ifname, bucket
)
SELECT interfaces.series, grid.bucket, grid.position, 0 AS total, merged.rx_bytes_sum, merged.rx_bytes_count, merged.tx_bytes_sum, merged.tx_bytes_count
FROM unnest(CAST(:ifnames AS text[])) WITH ORDINALITY AS interfaces(ifname, series)
CROSS JOIN generate_series(
    time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), :start), CAST(:origin AS timestamp)),
    time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), :end), CAST(:origin AS timestamp)),
    CAST(:width AS interval)
) WITH ORDINALITY AS grid(bucket, position)
LEFT JOIN merged ON merged.bucket = grid.bucket AND merged.ifname = interfaces.ifname
