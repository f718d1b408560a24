begin;
select plan(3);

-- SETUP
select tests.seed();
select * from tests.dead_lease() \gset

-- TEST: a fail with the dead lease is rejected and changes nothing
select is(
    (select public.fail_run(:'lease', true, 'io') ->> 'code'),
    'PT409', 'a fail with a dead lease is rejected'
);
select tests.reset_role();
select is((tests.run(:'run_id')).attempt_count, 1, 'the run is unchanged');
select is((tests.run(:'run_id')).status, 'queued', 'and still queued');

select * from finish();
rollback;
