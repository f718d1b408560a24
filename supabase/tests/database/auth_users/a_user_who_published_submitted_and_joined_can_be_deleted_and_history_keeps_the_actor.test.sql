begin;
select plan(9);

select tests.seed();
select set_config('tests.leaver', tests.create_user('leaver')::text, true);
select tests.add_member(tests.workspace_id(), 'leaver', 'admin');

-- The leaver creates a workspace, publishes a spec, submits two runs and cancels one of them.
select tests.authenticate_as('leaver');
select set_config(
    'tests.leaver_workspace',
    (select w.id from public.create_workspace('leaver-' || md5(random()::text)) as w)::text,
    true
);
select set_config(
    'tests.leaver_spec',
    (select s.id from public.publish_spec(tests.workspace_id(), 'leaver-spec', '1', '{}') as s)::text,
    true
);
select set_config(
    'tests.leaver_run',
    (select r.id from public.submit_run(tests.workspace_id(), 'etl') as r)::text,
    true
);
select public.cancel_run(current_setting('tests.leaver_run')::uuid, 'changed my mind');
select public.submit_run(tests.workspace_id(), 'leaver-spec');

select tests.reset_role();
select lives_ok(
    $$ delete from auth.users where id = current_setting('tests.leaver')::uuid $$,
    'the account is deleted'
);
select is(
    (select count(*) from auth.users as u where u.id = current_setting('tests.leaver')::uuid),
    0::bigint, 'the auth user is gone'
);
select is(
    (select count(*) from public.workspace_members as m where m.user_id = current_setting('tests.leaver')::uuid),
    0::bigint, 'its memberships went with it'
);
select is(
    (select s.published_by from public.pipeline_specs as s where s.id = current_setting('tests.leaver_spec')::uuid),
    current_setting('tests.leaver')::uuid, 'the spec still names its publisher'
);
select is(
    (select r.submitted_by from public.runs as r where r.id = current_setting('tests.leaver_run')::uuid),
    current_setting('tests.leaver')::uuid, 'the run still names its submitter'
);
select is(
    (select count(*) from public.runs as r where r.submitted_by = current_setting('tests.leaver')::uuid),
    2::bigint, 'both runs are kept'
);
select is(
    (select r.cancel_requested_by from public.runs as r where r.id = current_setting('tests.leaver_run')::uuid),
    'user:' || current_setting('tests.leaver'), 'the cancellation still names who asked'
);
select results_eq(
    $$
        select t.to_status, t.actor from public.run_transitions as t
        where t.run_id = current_setting('tests.leaver_run')::uuid
        order by t.id
    $$,
    $$
        values ('queued', 'user:' || current_setting('tests.leaver')),
            ('cancelled', 'user:' || current_setting('tests.leaver'))
    $$,
    'the audit trail keeps the actor'
);
select is(
    (select w.created_by from public.workspaces as w where w.id = current_setting('tests.leaver_workspace')::uuid),
    current_setting('tests.leaver')::uuid, 'the workspace still names its creator'
);

select * from finish();
rollback;
