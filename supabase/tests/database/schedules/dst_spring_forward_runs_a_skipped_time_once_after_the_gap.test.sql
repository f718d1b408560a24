begin;
select plan(6);

-- Europe/Berlin 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00Z). America/New_York 2026-03-08:
-- 02:00 EST jumps to 03:00 EDT (07:00Z).

-- TEST: a fixed time inside the gap runs once, at the first valid instant after it
select is(
    tests.fires('30 2 * * *', 'Europe/Berlin', '2026-03-27 12:00Z', '2026-03-30 12:00Z'),
    array['2026-03-28 02:30 =01:30Z', '2026-03-29 03:00 =01:00Z', '2026-03-30 02:30 =00:30Z'],
    'Berlin 02:30 runs at 03:00 CEST on the day of the change'
);
select is(
    tests.fires('30 2 * * *', 'America/New_York', '2026-03-07 12:00Z', '2026-03-09 12:00Z'),
    array['2026-03-08 03:00 =07:00Z', '2026-03-09 02:30 =06:30Z'],
    'New York 02:30 runs at 03:00 EDT on the day of the change'
);
select is(
    tests.fires('0,15,30,45 2-3 * * *', 'Europe/Berlin', '2026-03-28 23:00Z', '2026-03-29 02:00Z'),
    array['2026-03-29 03:00 =01:00Z', '2026-03-29 03:15 =01:15Z', '2026-03-29 03:30 =01:30Z', '2026-03-29 03:45 =01:45Z'],
    'several fixed times inside the gap and 03:00 itself run once together at 03:00'
);
select is(
    private.cron_next_fire('30 2 * * *', 'Europe/Berlin', '2026-03-28 01:30Z'), '2026-03-29 01:00Z'::timestamptz,
    'the next fire after Saturday''s is the gap''s end'
);

-- TEST: a schedule by the clock (hour field *) has nothing to run in the missing hour
select is(
    tests.fires('30 * * * *', 'Europe/Berlin', '2026-03-28 23:00Z', '2026-03-29 02:00Z'),
    array['2026-03-29 00:30 =23:30Z', '2026-03-29 01:30 =00:30Z', '2026-03-29 03:30 =01:30Z'],
    'hourly at :30 skips the 02:30 that does not exist'
);
select is(
    (select pg_catalog.count(*)::integer
     from private.cron_fires('* * * * *', 'America/New_York', '2026-03-08 06:00Z', '2026-03-08 08:00Z')),
    120, 'every minute runs every real minute across the change (120 in two hours)'
);

select * from finish();
rollback;
