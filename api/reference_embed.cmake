cmake_minimum_required(VERSION 3.25)
# Generates reference_data.cpp, which embeds the CPV, HS and UN/CEFACT unit CSVs from data/ (run
# at build time by api/CMakeLists.txt):
#   cmake -DDATA_DIR=<repo>/data -DTEMPLATE=<...>.cpp.in -DOUTPUT=<...>.cpp -P reference_embed.cmake
# Fails when a file is missing or contains the raw-string delimiter.
foreach(pair "CPV=cpv/cpv_2008.csv" "HS=hs/harmonized-system.csv" "UNIT_CODES=units/unit_codes.csv")
    string(REPLACE "=" ";" parts "${pair}")
    list(GET parts 0 var)
    list(GET parts 1 rel)
    if(NOT EXISTS "${DATA_DIR}/${rel}")
        message(FATAL_ERROR "reference data file ${DATA_DIR}/${rel} is missing")
    endif()
    file(READ "${DATA_DIR}/${rel}" text)
    string(FIND "${text}" ")rmref\"" delimiter_at)
    if(NOT delimiter_at EQUAL -1)
        message(FATAL_ERROR "${rel} contains the reserved sequence )rmref\"")
    endif()
    set(RM_${var}_CSV "${text}")
endforeach()
configure_file("${TEMPLATE}" "${OUTPUT}.tmp" @ONLY)
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
