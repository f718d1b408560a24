begin;
select plan(2);

-- SETUP
select tests.seed();
select * from tests.queued_run() \gset

-- TEST: what was asked for cannot change
select throws_ok(
    format($$ update public.runs set params = '{"x": 1}' where id = %L $$, :'run_id'),
    '42501', null, 'params cannot change'
);
select throws_ok(
    format($$ update public.runs set priority = 9 where id = %L $$, :'run_id'),
    '42501', null, 'priority cannot change (score can)'
);

select * from finish();
rollback;
