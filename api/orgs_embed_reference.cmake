cmake_minimum_required(VERSION 3.25)
# Generates api/orgs_reference_data.cpp, which embeds the reference CSVs from data/ (run at build
# time by api/CMakeLists.txt):
#   cmake -DDATA_DIR=<repo>/data -DTEMPLATE=<...>.cpp.in -DOUTPUT=<...>.cpp -P orgs_embed_reference.cmake
# Fails when a file is missing or contains the raw-string delimiter.
foreach(pair "PROVINCES=regions/provinces.csv" "CITIES=regions/cities.csv"
             "AREAS=regions/areas.csv" "SECTORS=gbt4754/gbt4754_2017.csv")
    string(REPLACE "=" ";" parts "${pair}")
    list(GET parts 0 var)
    list(GET parts 1 rel)
    if(NOT EXISTS "${DATA_DIR}/${rel}")
        message(FATAL_ERROR "reference data file ${DATA_DIR}/${rel} is missing")
    endif()
    file(READ "${DATA_DIR}/${rel}" text)
    string(FIND "${text}" ")rmcsv\"" delimiter_at)
    if(NOT delimiter_at EQUAL -1)
        message(FATAL_ERROR "${rel} contains the reserved sequence )rmcsv\"")
    endif()
    set(RM_${var}_CSV "${text}")
endforeach()
configure_file("${TEMPLATE}" "${OUTPUT}.tmp" @ONLY)
file(COPY_FILE "${OUTPUT}.tmp" "${OUTPUT}" ONLY_IF_DIFFERENT)
