begin;
select plan(14);

-- TEST: lists, ranges, steps and names
select is(
    (select p.minutes::text || ' ' || p.hours::text from private.cron_parse('*/15 9-11 * * *') as p),
    '{0,15,30,45} {9,10,11}',
    'steps over * and ranges'
);
select is(
    (select p.minutes from private.cron_parse('5,10-20/5,58 * * * *') as p),
    array[5, 10, 15, 20, 58], 'a list of a value, a stepped range and a value'
);
select is(
    (select p.months from private.cron_parse('0 0 1 jan,MAR-may *') as p),
    array[1, 3, 4, 5], 'month names in any case, alone and in ranges'
);
select is(
    (select p.dows from private.cron_parse('0 0 * * MON-FRI,7') as p),
    array[0, 1, 2, 3, 4, 5], 'day names; 7 is Sunday (0)'
);
select is(
    (select p.minutes from private.cron_parse('50/5 * * * *') as p),
    array[50, 55], 'a value with a step runs to the end of the field'
);
select is(
    (select array[p.dom_star, p.dow_star, p.hour_star] from private.cron_parse('0 */2 */3 * 1') as p),
    array[true, false, true], 'a field starting with * counts as unrestricted for the day rule'
);

-- TEST: bad expressions name the field, the value and the fix
select is(
    (select p.problem from private.cron_parse('60 * * * *') as p),
    'minute field (1 of 5): ''60'' is out of range; use 0-59', 'out of range'
);
select is(
    (select p.problem from private.cron_parse('0 0 * * * *') as p),
    '''0 0 * * * *'' has 6 fields; write five: minute hour day-of-month month day-of-week (e.g. ''30 2 * * MON-FRI''); seconds, years and @macros are not supported',
    'six fields (seconds) are refused'
);
select is(
    (select p.problem from private.cron_parse('@daily') as p),
    '''@daily'' has 1 fields; write five: minute hour day-of-month month day-of-week (e.g. ''30 2 * * MON-FRI''); seconds, years and @macros are not supported',
    'macros are refused'
);
select matches(
    (select p.problem from private.cron_parse('0 0 L * *') as p),
    '^day of month field \(3 of 5\): ''L'' is not a value.*\(L, W, # and \? are not supported\)$',
    'L is refused and named'
);
select matches(
    (select p.problem from private.cron_parse('0 0 * * 1#2') as p),
    '^day of week field \(5 of 5\).*not supported\)$', '# is refused'
);
select is(
    (select p.problem from private.cron_parse('0 0 * * FRI-MON') as p),
    'day of week field (5 of 5): ''FRI-MON'' runs backwards; write the range low-high (wrap-around ranges are not supported, use a list)',
    'wrap-around ranges are refused'
);
select is(
    (select p.problem from private.cron_parse('0 0 * * XYZ') as p),
    'day of week field (5 of 5): ''XYZ'' is not a number or one of SUN,MON,TUE,WED,THU,FRI,SAT',
    'unknown names list the names'
);
select is(
    (select p.problem from private.cron_parse('0 0 31 2,4 *') as p),
    'day of month 31 never occurs in month 2,4; the schedule would never fire',
    'an expression that never fires is refused'
);

select * from finish();
rollback;
