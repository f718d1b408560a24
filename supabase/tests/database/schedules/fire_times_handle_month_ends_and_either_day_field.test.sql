begin;
select plan(7);

-- TEST: the 31st fires only in months that have one
select is(
    tests.fires('0 12 31 * *', 'UTC', '2026-03-01', '2026-09-01'),
    array['2026-03-31 12:00 =12:00Z', '2026-05-31 12:00 =12:00Z', '2026-07-31 12:00 =12:00Z', '2026-08-31 12:00 =12:00Z'],
    'the 31st skips 30-day months'
);
select is(
    private.cron_next_fire('0 12 31 * *', 'UTC', '2026-04-01'), '2026-05-31 12:00Z'::timestamptz,
    'the next 31st after April 1 is May 31'
);

-- TEST: February 29 fires in leap years only
select is(
    private.cron_next_fire('0 0 29 2 *', 'UTC', '2026-11-30'), '2028-02-29 00:00Z'::timestamptz,
    'Feb 29 waits for the next leap year'
);
select is(
    private.cron_next_fire('0 0 29 2 *', 'UTC', '2096-03-01'), '2104-02-29 00:00Z'::timestamptz,
    '2100 is not a leap year'
);

-- TEST: both day fields restricted: either matches (standard cron)
select is(
    tests.fires('0 6 1 * MON', 'UTC', '2026-06-01', '2026-06-16'),
    array['2026-06-01 06:00 =06:00Z', '2026-06-08 06:00 =06:00Z', '2026-06-15 06:00 =06:00Z'],
    'the 1st or a Monday, from Monday June 1 2026'
);
select is(
    tests.fires('0 6 13 * FRI', 'UTC', '2026-03-09', '2026-03-16'),
    array['2026-03-13 06:00 =06:00Z'],
    'the 13th and a Friday on one day fire once'
);

-- TEST: a day field starting with * joins with AND
select is(
    tests.fires('0 6 */10 * MON', 'UTC', '2026-06-01', '2026-07-01'),
    array['2026-06-01 06:00 =06:00Z'],
    'days 1, 11 and 21 that are Mondays: only June 1 2026'
);

select * from finish();
rollback;
