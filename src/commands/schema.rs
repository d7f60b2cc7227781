//! `tooleval schema`: the JSON Schema of eval, suite, descriptions or host profile files, for editors.

use crate::cli::{SchemaArgs, SchemaFile};
use crate::config;
use crate::error::{Result, exit};
use crate::output::Output;

pub(crate) fn schema_command(out: &Output, args: SchemaArgs) -> Result<i32> {
    out.print(&match args.file {
        SchemaFile::Eval => config::eval_schema(),
        SchemaFile::Suite => config::suite_schema(),
        SchemaFile::Descriptions => config::descriptions_schema(),
        SchemaFile::Host => config::host_schema(),
    });
    Ok(exit::OK)
}
