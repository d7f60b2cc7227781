//! End-to-end tests of the tooleval binary against real processes: the built-in demo server
//! over stdio and HTTP, a scripted OpenAI-compatible server on 127.0.0.1, and the official
//! reference servers from the npm registry.

mod agent;
mod bench;
mod compare;
mod conversations;
mod corpus;
mod cost;
mod demo;
mod descriptions;
mod docs;
mod errors;
mod everything;
mod faults;
mod files;
mod filters;
mod generate;
mod hosts;
mod html;
mod improve;
mod install;
mod layers;
mod loader_props;
mod providers;
mod scripted;
mod security;
mod support;
mod sweep;
mod tokens;
mod tool_schemas;
mod watch;
