WITH raw_values AS (
    SELECT DISTINCT bucket, value
    FROM (
        SELECT time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, client_mac AS value
        FROM wifi_client_points
        WHERE organization_id = ANY(CAST(:organization_ids AS uuid[])) AND location_id = ANY(CAST(:location_ids AS uuid[])) AND floorplan_id = ANY(CAST(:floorplan_ids AS uuid[]))
          AND time >= :gap_from_0 AND time < :gap_to_0 AND time < GREATEST(:rollup_from, LEAST(:rollup_to, COALESCE((SELECT watermark FROM rollup_state WHERE id = 1), CAST('-infinity' AS timestamptz))))
        UNION ALL
        SELECT time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, client_mac AS value
        FROM wifi_client_points
        WHERE organization_id = ANY(CAST(:organization_ids AS uuid[])) AND location_id = ANY(CAST(:location_ids AS uuid[])) AND floorplan_id = ANY(CAST(:floorplan_ids AS uuid[]))
          AND time >= :gap_from_1 AND time < :gap_to_1 AND time < GREATEST(:rollup_from, LEAST(:rollup_to, COALESCE((SELECT watermark FROM rollup_state WHERE id = 1), CAST('-infinity' AS timestamptz))))
        UNION ALL
        SELECT time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, client_mac AS value
        FROM wifi_client_points
        WHERE organization_id = ANY(CAST(:organization_ids AS uuid[])) AND location_id = ANY(CAST(:location_ids AS uuid[])) AND floorplan_id = ANY(CAST(:floorplan_ids AS uuid[]))
          AND time >= :tail_from AND time >= GREATEST(:rollup_from, LEAST(:rollup_to, COALESCE((SELECT watermark FROM rollup_state WHERE id = 1), CAST('-infinity' AS timestamptz)))) AND time < :stop
    ) AS raw_parts
),
pages AS (
    SELECT bucket, page, bit_or(clients) AS clients
    FROM (
        SELECT time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, page, clients
        FROM wifi_client_group_rollups
        WHERE organization_id = ANY(CAST(:organization_ids AS uuid[])) AND location_id = ANY(CAST(:location_ids AS uuid[])) AND floorplan_id = ANY(CAST(:floorplan_ids AS uuid[]))
          AND grain = CAST(:grain_0 AS interval) AND time >= :first_0 AND time < :last_0
        UNION ALL
        SELECT time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, page, clients
        FROM wifi_client_group_rollups
        WHERE organization_id = ANY(CAST(:organization_ids AS uuid[])) AND location_id = ANY(CAST(:location_ids AS uuid[])) AND floorplan_id = ANY(CAST(:floorplan_ids AS uuid[]))
          AND grain = CAST(:grain_1 AS interval) AND time >= :first_1 AND time < :last_1
        UNION ALL
        SELECT time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), time), CAST(:origin AS timestamp)) AS bucket, page, clients
        FROM wifi_client_group_rollups
        WHERE organization_id = ANY(CAST(:organization_ids AS uuid[])) AND location_id = ANY(CAST(:location_ids AS uuid[])) AND floorplan_id = ANY(CAST(:floorplan_ids AS uuid[]))
          AND grain = CAST(:grain_2 AS interval) AND time >= :first_2 AND time < :last_2
        UNION ALL
        SELECT raw_values.bucket, ids.id / 1024 AS page, set_bit(CAST(repeat('0', 1024) AS bit(1024)), ids.id % 1024, 1) AS clients
        FROM raw_values JOIN rollup_client_ids AS ids ON ids.mac = raw_values.value
        UNION ALL
        SELECT bucket, -1 - number / 1024 AS page, set_bit(CAST(repeat('0', 1024) AS bit(1024)), number % 1024, 1) AS clients
        FROM (
            SELECT bucket, CAST(dense_rank() OVER (ORDER BY value) - 1 AS integer) AS number
            FROM raw_values
            WHERE value IS NOT NULL AND NOT EXISTS (SELECT 1 FROM rollup_client_ids AS ids WHERE ids.mac = raw_values.value)
        ) AS new_clients
    ) AS periods
    GROUP BY bucket, page
),
merged AS (
    SELECT bucket, 0 AS total, CAST(sum(bit_count(clients)) AS bigint) AS count
    FROM pages
    GROUP BY bucket
    UNION ALL
    SELECT NULL, 1, CAST(sum(bit_count(clients)) AS bigint)
    FROM (SELECT page, bit_or(clients) AS clients FROM pages GROUP BY page) AS window_pages
    GROUP BY ()
)
SELECT grid.bucket, grid.position, 0 AS total, merged.count
FROM generate_series(
    time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), :start), CAST(:origin AS timestamp)),
    time_bucket(CAST(:width AS interval), timezone(CAST(:timezone AS text), :end), CAST(:origin AS timestamp)),
    CAST(:width AS interval)
) WITH ORDINALITY AS grid(bucket, position)
LEFT JOIN merged ON merged.bucket = grid.bucket AND merged.total = 0
UNION ALL
SELECT merged.bucket, NULL, merged.total, merged.count
FROM merged
WHERE merged.total = 1
