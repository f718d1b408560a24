begin;
select plan(1);

-- TEST: writes go through RPCs only
select is_empty(
    $$
    select r.rolname || ' ' || priv.name || ' ' || c.relname
    from pg_catalog.pg_class as c
    inner join pg_catalog.pg_namespace as n on c.relnamespace = n.oid
    cross join (values ('anon'), ('authenticated'), ('service_role'), ('controlroom_executor')) as r (rolname)
    cross join (values ('insert'), ('update'), ('delete'), ('truncate')) as priv (name)
    where n.nspname = 'public'
      and c.relkind in ('r', 'p', 'v')
      and has_table_privilege(r.rolname, c.oid, priv.name)
    $$,
    'no API role may insert, update, delete or truncate a public table or view: writes go through RPCs'
);

select * from finish();
rollback;
