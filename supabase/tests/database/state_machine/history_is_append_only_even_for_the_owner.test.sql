begin;
select plan(5);

-- SETUP
select tests.seed();
select tests.seed_activity();

-- TEST: events, transitions and published specs cannot be changed or removed, even by the owner
select throws_ok($$ update public.run_events set message = 'x' $$, '42501', null, 'run_events cannot be updated');
select throws_ok($$ delete from public.run_events $$, '42501', null, 'run_events cannot be deleted');
select throws_ok($$ update public.run_transitions set reason = 'x' $$, '42501', null, 'run_transitions cannot be updated');
select throws_ok($$ truncate public.run_transitions cascade $$, '42501', null, 'run_transitions cannot be truncated');
select throws_ok($$ delete from public.pipeline_specs $$, '42501', null, 'published specs cannot be deleted');

select * from finish();
rollback;
