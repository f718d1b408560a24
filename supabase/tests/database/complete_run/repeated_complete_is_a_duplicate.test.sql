begin;
select plan(2);

-- SETUP
select tests.seed();
select * from tests.running_attempt() \gset
select public.complete_run(:'lease');

-- TEST: a retried complete is a duplicate with a normal status
select public.complete_run(:'lease') as reply \gset
select is(:'reply'::jsonb ->> 'outcome', 'duplicate', 'a retried complete says duplicate');
select is(nullif(current_setting('response.status', true), ''), null, 'with a normal status');

select * from finish();
rollback;
