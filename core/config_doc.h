// The key tables of docs/configuration.md, made from core/config.h's key lists. The doc marks
// each table with `<!-- config-keys: SECTION -->` ... `<!-- /config-keys -->`; tf-config-doc
// checks that every marked table is what the lists make (a ctest) and rewrites them on request.
#pragma once

#include <string>
#include <vector>

namespace tf {

// The sections that have a table: model, train, data, ..., stages.
std::vector<std::string> config_doc_sections();

// The Markdown table of `section`'s keys: key, type, default, range, meaning.
std::string config_key_table(const std::string& section);

// `doc` with every marked table replaced by config_key_table. Throws tf::Error naming `source`
// and the line for a marker without its end, an unknown section, or a section left unmarked.
std::string with_config_key_tables(const std::string& doc, const std::string& source);

}  // namespace tf
