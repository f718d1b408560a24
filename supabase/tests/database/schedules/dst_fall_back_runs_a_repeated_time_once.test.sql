begin;
select plan(5);

-- Europe/Berlin 2026-10-25: 03:00 CEST falls back to 02:00 CET (01:00Z), 02:00-02:59 happen twice.
-- America/New_York 2026-11-01: 02:00 EDT falls back to 01:00 EST (06:00Z), 01:00-01:59 twice.

-- TEST: a fixed time in the repeated hour runs once, at its first occurrence
select is(
    tests.fires('30 2 * * *', 'Europe/Berlin', '2026-10-24 12:00Z', '2026-10-26 12:00Z'),
    array['2026-10-25 02:30 =00:30Z', '2026-10-26 02:30 =01:30Z'],
    'Berlin 02:30 runs at 02:30 CEST, not again at 02:30 CET'
);
select is(
    tests.fires('30 1 * * *', 'America/New_York', '2026-10-31 12:00Z', '2026-11-02 12:00Z'),
    array['2026-11-01 01:30 =05:30Z', '2026-11-02 01:30 =06:30Z'],
    'New York 01:30 runs at 01:30 EDT, not again at 01:30 EST'
);
select is(
    private.cron_next_fire('30 2 * * *', 'Europe/Berlin', '2026-10-25 00:30Z'), '2026-10-26 01:30Z'::timestamptz,
    'after the first 02:30 the next fire is the next day'
);

-- TEST: a schedule by the clock (hour field *) runs in both passes of the hour
select is(
    tests.fires('30 * * * *', 'Europe/Berlin', '2026-10-24 23:00Z', '2026-10-25 02:00Z'),
    array['2026-10-25 01:30 =23:30Z', '2026-10-25 02:30 =00:30Z', '2026-10-25 02:30 =01:30Z'],
    'hourly at :30 runs at 02:30 CEST and 02:30 CET'
);
select is(
    (select pg_catalog.count(*)::integer
     from private.cron_fires('*/10 * * * *', 'America/New_York', '2026-11-01 04:00Z', '2026-11-01 08:00Z')),
    24, 'every 10 minutes runs every real 10 minutes across the change (24 in four hours)'
);

select * from finish();
rollback;
