SELECT
    (SELECT CAST(json_agg(grid.bucket ORDER BY grid.bucket) AS text) FROM generate_series(
        time_bucket(CAST(:s2_width AS interval), timezone(CAST(:s2_timezone AS text), :s2_start), CAST(:s2_origin AS timestamp)),
        time_bucket(CAST(:s2_width AS interval), timezone(CAST(:s2_timezone AS text), :s2_end), CAST(:s2_origin AS timestamp)),
        CAST(:s2_width AS interval)
    ) WITH ORDINALITY AS grid(bucket, position)),
    (SELECT CAST(json_build_array(array_agg(rows.position), array_agg(rows.cpu_usage_sum), array_agg(rows.cpu_usage_count)) AS text)
     FROM (
        WITH merged AS (
            SELECT time_bucket(CAST(:s0_width AS interval), timezone(CAST(:s0_timezone AS text), time), CAST(:s0_origin AS timestamp)) AS bucket,
                   sum(CAST(cpu_usage AS numeric)) AS cpu_usage_sum, count(cpu_usage) AS cpu_usage_count
            FROM cpu_points
            WHERE device_id = :s0_device_id
              AND time >= :s0_start AND time < :s0_stop
            GROUP BY 1
        )
        SELECT grid.bucket, grid.position, 0 AS total, merged.cpu_usage_sum, merged.cpu_usage_count
        FROM generate_series(
            time_bucket(CAST(:s0_width AS interval), timezone(CAST(:s0_timezone AS text), :s0_start), CAST(:s0_origin AS timestamp)),
            time_bucket(CAST(:s0_width AS interval), timezone(CAST(:s0_timezone AS text), :s0_end), CAST(:s0_origin AS timestamp)),
            CAST(:s0_width AS interval)
        ) WITH ORDINALITY AS grid(bucket, position)
        LEFT JOIN merged ON merged.bucket = grid.bucket
     ) AS rows),
    (SELECT CAST(json_build_array(array_agg(rows.series), array_agg(rows.position), array_agg(rows.count)) AS text)
     FROM (
        WITH raw_values AS (
            SELECT DISTINCT ifname, bucket, value
            FROM (
                SELECT ifname, time_bucket(CAST(:s1_width AS interval), timezone(CAST(:s1_timezone AS text), time), CAST(:s1_origin AS timestamp)) AS bucket, client_mac AS value
                FROM wifi_client_points
                WHERE device_id = :s1_device_id AND ifname = ANY(CAST(:s1_ifnames AS text[]))
                  AND time >= :s1_start AND time < :s1_stop
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
        FROM unnest(CAST(:s1_ifnames AS text[])) WITH ORDINALITY AS interfaces(ifname, series)
        CROSS JOIN generate_series(
            time_bucket(CAST(:s1_width AS interval), timezone(CAST(:s1_timezone AS text), :s1_start), CAST(:s1_origin AS timestamp)),
            time_bucket(CAST(:s1_width AS interval), timezone(CAST(:s1_timezone AS text), :s1_end), CAST(:s1_origin AS timestamp)),
            CAST(:s1_width AS interval)
        ) WITH ORDINALITY AS grid(bucket, position)
        LEFT JOIN merged ON merged.bucket = grid.bucket AND merged.ifname = interfaces.ifname AND merged.total = 0
        UNION ALL
        SELECT array_position(CAST(:s1_ifnames AS text[]), merged.ifname), merged.bucket, NULL, merged.total, merged.count
        FROM merged
        WHERE merged.total = 1
     ) AS rows)
