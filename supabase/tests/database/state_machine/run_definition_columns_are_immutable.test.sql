begin;
select plan(2);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);

select throws_ok(
    $$ update public.runs set params = '{"x": 1}' where id = current_setting('t.run')::uuid $$,
    '42501', null, 'params cannot change'
);
select throws_ok(
    $$ update public.runs set priority = 9 where id = current_setting('t.run')::uuid $$,
    '42501', null, 'priority cannot change (score can)'
);

select * from finish();
rollback;
