cmake_minimum_required(VERSION 3.25)
# Generates a C++ source that embeds reference CSVs from data/ as raw string literals, by filling
# a configure_file() template (run at build time by api/CMakeLists.txt):
#   cmake -DDATA_DIR=<repo>/data -DTEMPLATE=<x>.cpp.in -DOUTPUT=<x>.cpp -DDELIMITER=rmref
#         -DFILES="CPV=cpv/cpv_2008.csv|HS=hs/harmonized-system.csv" -P embed_reference.cmake
# Each NAME=path pair sets @RM_<NAME>_CSV@ for the template, whose literals are written as
# R"<DELIMITER>(...)<DELIMITER>". Fails when a file is missing or contains the closing delimiter.
# FILES uses '|' between pairs because ';' would split the argument in add_custom_command.
string(REPLACE "|" ";" pairs "${FILES}")
foreach(pair IN LISTS pairs)
    string(REPLACE "=" ";" parts "${pair}")
    list(GET parts 0 var)
    list(GET parts 1 rel)
    if(NOT EXISTS "${DATA_DIR}/${rel}")
        message(FATAL_ERROR "reference data file ${DATA_DIR}/${rel} is missing")
    endif()
    file(READ "${DATA_DIR}/${rel}" text)
    string(FIND "${text}" ")${DELIMITER}\"" delimiter_at)
    if(NOT delimiter_at EQUAL -1)
        message(FATAL_ERROR "${rel} contains the reserved sequence )${DELIMITER}\"")
    endif()
    set(RM_${var}_CSV "${text}")
endforeach()
configure_file("${TEMPLATE}" "${OUTPUT}.tmp" @ONLY)
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
