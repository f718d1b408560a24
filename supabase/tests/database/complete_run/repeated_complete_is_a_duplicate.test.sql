begin;
select plan(2);

select tests.seed();
select tests.submit_run(tests.workspace_id(), 'etl');
select set_config('t.lease', tests.claim(tests.executor(tests.workspace_id()))::text, true);
select public.start_run(current_setting('t.lease')::uuid);
select public.complete_run(current_setting('t.lease')::uuid);

select set_config('t.reply', public.complete_run(current_setting('t.lease')::uuid)::text, true);
select is(current_setting('t.reply')::jsonb ->> 'outcome', 'duplicate', 'a retried complete says duplicate');
select is(nullif(current_setting('response.status', true), ''), null, 'with a normal status');

select * from finish();
rollback;
