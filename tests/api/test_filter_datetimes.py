"""Date/time filters accept any offset Python parses, including ones PostgreSQL does not:
they are compared in UTC, and a time outside the calendar in UTC is a 400."""
WIFI_SESSIONS_URL = "/api/v1/monitoring/wifi-session/"


def test_an_offset_beyond_postgresqls_range_is_compared_in_utc(client, admin_headers):
    response = client.get(WIFI_SESSIONS_URL, query_string={"start_time__gte": "1309-10-05T13:55:28.653-23:47"},
                          headers=admin_headers)
    assert response.status_code == 200
    assert response.get_json()["count"] == 0


def test_a_time_before_year_one_in_utc_is_400(client, admin_headers):
    response = client.get(WIFI_SESSIONS_URL, query_string={"start_time__gte": "0001-01-01T00:00:00+01:00"},
                          headers=admin_headers)
    assert response.status_code == 400
    assert response.get_json() == {"start_time__gte": ["Enter a valid date/time."]}
