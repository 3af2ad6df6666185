//! Several servers on one database: a lease per background job, so that one server at
//! a time runs it, and failed sign-ins counted in the database, so that every server
//! sees the same count.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0012_scale_out"
    }
}

#[derive(DeriveIden)]
enum JobLeases {
    Table,
    Name,
    Holder,
    UntilMs,
}

#[derive(DeriveIden)]
enum LoginFailures {
    Table,
    Username,
    Failures,
    WindowStart,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(JobLeases::Table)
                .col(string(JobLeases::Name).primary_key())
                // The server process holding it (a random id per process).
                .col(string(JobLeases::Holder))
                .col(big_integer(JobLeases::UntilMs))
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(LoginFailures::Table)
                // Lowercased.
                .col(string(LoginFailures::Username).primary_key())
                .col(integer(LoginFailures::Failures))
                .col(big_integer(LoginFailures::WindowStart))
                .to_owned(),
        )
        .await?;
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            LoginFailures::Table.into_iden(),
            JobLeases::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}
