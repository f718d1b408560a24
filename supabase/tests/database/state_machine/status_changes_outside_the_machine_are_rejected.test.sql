begin;
select plan(3);

select tests.seed();
select set_config('t.run', tests.submit_run(tests.workspace_id(), 'etl')::text, true);

select throws_ok(
    $$ update public.runs set status = 'succeeded', finished_at = now() where id = current_setting('t.run')::uuid $$,
    'PT422', null, 'queued -> succeeded is refused, even for the owner'
);
select lives_ok(
    $$ select private.transition_run(current_setting('t.run')::uuid, 'cancelled', 'service_role', 'test', now()) $$,
    'queued -> cancelled is allowed'
);
select throws_ok(
    $$ select private.transition_run(current_setting('t.run')::uuid, 'queued', 'service_role', 'test', now()) $$,
    'PT422', null, 'a terminal run never changes'
);

select * from finish();
rollback;
