WITH merged AS (
    SELECT ifname, time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket,
           sum(CAST(rx_bytes AS numeric)) AS rx_bytes_sum, count(rx_bytes) AS rx_bytes_count,
           sum(CAST(tx_bytes AS numeric)) AS tx_bytes_sum, count(tx_bytes) AS tx_bytes_count
    FROM traffic_points
    WHERE device_id = :device_id AND ifname = ANY(CAST(:ifnames AS text[]))
      AND time >= :start AND time < :stop
    GROUP BY 1, 2
)
SELECT interfaces.series, grid.bucket, grid.position, 0 AS total, merged.rx_bytes_sum, merged.rx_bytes_count, merged.tx_bytes_sum, merged.tx_bytes_count
FROM unnest(CAST(:ifnames AS text[])) WITH ORDINALITY AS interfaces(ifname, series)
CROSS JOIN generate_series(
    time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), :start), CAST(:origin AS timestamp)),
    time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), :end), CAST(:origin AS timestamp)),
    CAST(:width AS interval)
) WITH ORDINALITY AS grid(bucket, position)
LEFT JOIN merged ON merged.bucket = grid.bucket AND merged.ifname = interfaces.ifname
