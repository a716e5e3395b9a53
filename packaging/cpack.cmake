# Debian packages, one command: cmake --preset release && cmake --build
# --preset release && cpack --config build-release/CPackConfig.cmake
# (docs/packaging.md).  Components become packages:
#   pyflame          the binary, the output plugins, the man page
#   pyflame-abi-XY   the plugin for CPython X.Y, one package each, so a
#                    distribution ships the versions it has
#   pyflame-dev      headers, pyflame.pc, the plugin guide and examples
#   python3-pyflame  the Python package of packaging/python (python -m
#                    pyflame) for Debian's python3; architecture all
set(PYFLAME_PACKAGE_MAINTAINER "pyflame maintainers <pyflame@packages.example.org>" CACHE STRING
  "Maintainer field of the packages: Name <address>")
set(PYFLAME_DEB_RELEASE 1 CACHE STRING "Debian revision of the packages")
set(PYFLAME_DEB_VERSION ${PROJECT_VERSION}-${PYFLAME_DEB_RELEASE})
string(TIMESTAMP PYFLAME_DEB_DATE "%a, %d %b %Y %H:%M:%S +0000" UTC)

# The package of ABI plugin component abiXY, as PYFLAME_ABI_PACKAGE names it
# (pyflame-abi-XY when it is empty: these packages split them anyway).
function(abi_package component out)
  string(REPLACE "abi" "" abi ${component})
  pyflame_abi_version(${abi} major minor build)
  set(version ${major}.${minor})
  if(build)
    set(version ${version}t)
  endif()
  set(name "${PYFLAME_ABI_PACKAGE}")
  if(NOT name)
    set(name "pyflame-abi-{abi}")
  endif()
  string(REPLACE "{abi}" ${abi} name "${name}")
  string(REPLACE "{version}" ${version} name "${name}")
  set(${out} ${name} PARENT_SCOPE)
endfunction()

# Every package carries its copyright and a changelog, as Debian policy
# asks; a plain install (no component) leaves them out.
set(deb_dir ${CMAKE_CURRENT_LIST_DIR}/debian)
configure_file(${deb_dir}/changelog.in ${CMAKE_BINARY_DIR}/packaging/changelog.Debian @ONLY)
execute_process(COMMAND gzip -9nf ${CMAKE_BINARY_DIR}/packaging/changelog.Debian)
set(deb_components pyflame dev python)
foreach(abi IN LISTS PYFLAME_ABIS)
  list(APPEND deb_components abi${abi})
endforeach()
foreach(component IN LISTS deb_components)
  if(component STREQUAL "pyflame")
    set(package pyflame)
  elseif(component STREQUAL "dev")
    set(package pyflame-dev)
  elseif(component STREQUAL "python")
    set(package python3-pyflame)
  else()
    abi_package(${component} package)
  endif()
  string(TOUPPER ${component} COMPONENT)
  set(CPACK_DEBIAN_${COMPONENT}_PACKAGE_NAME ${package})
  install(FILES ${deb_dir}/copyright ${CMAKE_BINARY_DIR}/packaging/changelog.Debian.gz
    DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/${package}
    PERMISSIONS OWNER_READ OWNER_WRITE GROUP_READ WORLD_READ COMPONENT ${component}
    EXCLUDE_FROM_ALL)
endforeach()
install(FILES ${CMAKE_SOURCE_DIR}/docs/plugins.md DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/pyflame-dev
  COMPONENT dev)
# Debian's python3 finds pure-Python packages of Debian's in
# lib/python3/dist-packages; a plain install, whose prefix may be another
# system's, leaves the package out.
install(DIRECTORY ${CMAKE_CURRENT_LIST_DIR}/python/pyflame DESTINATION lib/python3/dist-packages
  COMPONENT python EXCLUDE_FROM_ALL FILES_MATCHING PATTERN "*.py" PATTERN "__pycache__" EXCLUDE)
install(FILES ${CMAKE_CURRENT_LIST_DIR}/bash-completion/pyflame
  DESTINATION ${CMAKE_INSTALL_DATADIR}/bash-completion/completions COMPONENT pyflame)

set(CPACK_GENERATOR DEB)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL ${deb_components})
set(CPACK_PACKAGE_NAME pyflame)
# Each package's own first line of description is its synopsis: CPack
# would put this summary above it unless it is CPack's default one.
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${CPACK_PACKAGE_NAME} built using CMake")
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_CONTACT ${PYFLAME_PACKAGE_MAINTAINER})
set(CPACK_DEBIAN_PACKAGE_RELEASE ${PYFLAME_DEB_RELEASE})
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_PRIORITY optional)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_STRIP_FILES ON)
set(CPACK_PACKAGING_INSTALL_PREFIX ${CMAKE_INSTALL_PREFIX})

set(CPACK_DEBIAN_PYFLAME_DESCRIPTION "sampling profiler for CPython
pyflame attaches to a running Python process, or runs a command, and
reads the interpreter's stacks from outside with ptrace, without
changing the program, to write flame graphs (folded stacks, SVG,
Chrome and speedscope profiles).

Each version of CPython it reads comes in a package of its own,
pyflame-abi-XY.")
set(recommends "")
foreach(abi IN LISTS PYFLAME_ABIS)
  pyflame_abi_version(${abi} major minor build)
  set(release "${major}.${minor}")
  if(build)
    set(release "${major}.${minor} free-threaded (--disable-gil)")
  endif()
  # CPack names a component's variables in capitals: ABI313T.
  string(TOUPPER "ABI${abi}" var)
  set(CPACK_DEBIAN_${var}_DESCRIPTION "pyflame's reader of CPython ${release}
The plugin with which pyflame, the sampling profiler for CPython,
reads the stacks of CPython ${release} programs.")
  set(CPACK_DEBIAN_${var}_PACKAGE_DEPENDS "pyflame (= ${PYFLAME_DEB_VERSION})")
  abi_package(abi${abi} package)
  list(APPEND recommends ${package})
endforeach()
string(REPLACE ";" ", " recommends "${recommends}")
set(CPACK_DEBIAN_PYFLAME_PACKAGE_RECOMMENDS "${recommends}")
set(CPACK_DEBIAN_DEV_DESCRIPTION "pyflame's plugin SDK
Headers, pkg-config file, guide and examples for writing output and ABI
plugins for pyflame, the sampling profiler for CPython.")
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "pyflame (= ${PYFLAME_DEB_VERSION})")
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PYTHON_DESCRIPTION "python -m pyflame: pyflame from Python
Runs a Python program under pyflame, the sampling profiler for CPython,
with the interpreter that runs python3 -m pyflame, and writes its flame
graph.")
# Any pyflame as new as this one takes the options it passes.
set(CPACK_DEBIAN_PYTHON_PACKAGE_DEPENDS "python3 (>= 3.8), pyflame (>= ${PYFLAME_DEB_VERSION})")
set(CPACK_DEBIAN_PYTHON_PACKAGE_ARCHITECTURE all)
set(CPACK_DEBIAN_PYTHON_PACKAGE_SECTION python)
include(CPack)
