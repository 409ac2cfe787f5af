# smtpc: build, install and uninstall the C library the way C libraries are
# installed: shared and static library, header, pkg-config file, CMake package.
# See docs/install.md.
#
#   make                                   cargo build --release
#   make install   [PREFIX=/usr/local] [DESTDIR=] [LIBDIR=$(PREFIX)/lib]
#   make uninstall [the same variables as the install]
#
# Other variables: INCLUDEDIR, PKGCONFIGDIR, CMAKEDIR (where things go),
# NO_BUILD=1 (install what target/release holds, do not run cargo), CARGO,
# NATIVE_STATIC_LIBS (skip asking rustc for them), LDCONFIG (run after an
# install or uninstall as root without DESTDIR; LDCONFIG=: to skip),
# PC_REQUIRES_PRIVATE (e.g. "openssl"; empty by default, see docs/install.md).
#
# The version comes from Cargo.toml; nothing here names a version number.

ROOT := $(patsubst %/,%,$(dir $(abspath $(lastword $(MAKEFILE_LIST)))))

CARGO ?= cargo
INSTALL ?= install
READELF ?= readelf
LDCONFIG ?= ldconfig

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig
CMAKEDIR ?= $(LIBDIR)/cmake/smtpc
DESTDIR ?=
NO_BUILD ?=
NATIVE_STATIC_LIBS ?=
PC_REQUIRES_PRIVATE ?=

TARGET_DIR := $(if $(CARGO_TARGET_DIR),$(abspath $(CARGO_TARGET_DIR)),$(ROOT)/target)
RELEASE_DIR := $(TARGET_DIR)/release
# rustc is asked for the static library's system libraries in a target directory
# of its own, so that this query never invalidates the `cargo build --release`
# artifacts (its extra rustc flags would make cargo rebuild the crate each time).
NATIVE_LIBS_TARGET_DIR := $(TARGET_DIR)/native-static-libs

# --- version, from the [package] table of Cargo.toml -------------------------
cargo_field = $(shell sed -n '/^\[package\]/,/^\[/s/^$(1)[[:space:]]*=[[:space:]]*"\(.*\)"[[:space:]]*$$/\1/p' '$(ROOT)/Cargo.toml' | head -n 1)
VERSION := $(call cargo_field,version)
DESCRIPTION := $(call cargo_field,description)
ifeq ($(VERSION),)
$(error could not read the package version from $(ROOT)/Cargo.toml)
endif
# 1.2.3-rc.1+build -> 1 2 3
VERSION_CORE := $(firstword $(subst -, ,$(subst +, ,$(VERSION))))
MAJOR := $(word 1,$(subst ., ,$(VERSION_CORE)))
MINOR := $(word 2,$(subst ., ,$(VERSION_CORE)))
PATCH := $(word 3,$(subst ., ,$(VERSION_CORE)))

# The SONAME rule (the same as in build.rs; docs/install.md says why): an
# incompatible change bumps MAJOR, or MINOR while MAJOR is 0.
ifeq ($(MAJOR),0)
SOVERSION := 0.$(MINOR)
else
SOVERSION := $(MAJOR)
endif
REALNAME := libsmtpc.so.$(MAJOR).$(MINOR).$(PATCH)
SONAME := libsmtpc.so.$(SOVERSION)
LINKNAME := libsmtpc.so

HEADERS := $(wildcard $(ROOT)/include/smtpc.h $(ROOT)/include/smtpc.hpp)

# --- the generated files -----------------------------------------------------
# Paths the CMake package uses relative to its own location, so that a prefix
# can be moved (or staged with DESTDIR) as a whole.
relpath = $(or $(shell realpath -m --relative-to='$(2)' '$(1)' 2>/dev/null),$(1))
CMAKE_REL_LIBDIR = $(call relpath,$(LIBDIR),$(CMAKEDIR))
CMAKE_REL_INCLUDEDIR = $(call relpath,$(INCLUDEDIR),$(LIBDIR))
POINTER_BYTES = $(shell echo $$(( $$(getconf LONG_BIT) / 8 )))

# Libs.private: exactly what rustc prints for the staticlib, plus -lssl -lcrypto
# should they ever be missing from it.
PC_LIBS_PRIVATE = $(if $(filter -lssl,$(NATIVE_STATIC_LIBS)),,-lssl )$(if $(filter -lcrypto,$(NATIVE_STATIC_LIBS)),,-lcrypto )$(NATIVE_STATIC_LIBS)
# The same list for CMake: OpenSSL and threads as imported targets, the rest by name.
cmake_lib = $(if $(filter -lssl,$(1)),OpenSSL::SSL,$(if $(filter -lcrypto,$(1)),OpenSSL::Crypto,$(if $(filter -lpthread -pthread,$(1)),Threads::Threads,$(patsubst -l%,%,$(1)))))
empty :=
space := $(empty) $(empty)
CMAKE_STATIC_DEPS = $(subst $(space),;,$(strip $(foreach l,$(PC_LIBS_PRIVATE),$(call cmake_lib,$(l)))))

pc_dir = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

define SMTPC_PC
# smtpc $(VERSION), written by `make install`.
prefix=$(PREFIX)
exec_prefix=$${prefix}
libdir=$(call pc_dir,$(LIBDIR))
includedir=$(call pc_dir,$(INCLUDEDIR))

Name: smtpc
Description: $(DESCRIPTION)
Version: $(VERSION)
Requires.private: $(PC_REQUIRES_PRIVATE)
Libs: -L$${libdir} -lsmtpc
Libs.private: $(PC_LIBS_PRIVATE)
Cflags: -I$${includedir}
endef

define SMTPC_CONFIG_CMAKE
# smtpcConfig.cmake for smtpc $(VERSION), written by `make install`.
#
#   find_package(smtpc $(MAJOR).$(MINOR) CONFIG REQUIRED)
#   target_link_libraries(app PRIVATE smtpc::smtpc)          # $(SONAME)
#   target_link_libraries(app PRIVATE smtpc::smtpc_static)   # libsmtpc.a
#
# Components: "shared" (smtpc::smtpc, always there) and "static"
# (smtpc::smtpc_static). The static target needs OpenSSL's development files
# and Threads; it is defined whenever they are found, and asking for the
# component (COMPONENTS static) makes them required.

include(CMakeFindDependencyMacro)

# Where the library and the header are, relative to this file when possible.
set(_smtpc_libdir "$(CMAKE_REL_LIBDIR)")
if(NOT IS_ABSOLUTE "$${_smtpc_libdir}")
  get_filename_component(_smtpc_libdir "$${CMAKE_CURRENT_LIST_DIR}/$${_smtpc_libdir}" ABSOLUTE)
endif()
set(_smtpc_includedir "$(CMAKE_REL_INCLUDEDIR)")
if(NOT IS_ABSOLUTE "$${_smtpc_includedir}")
  get_filename_component(_smtpc_includedir "$${_smtpc_libdir}/$${_smtpc_includedir}" ABSOLUTE)
endif()

set(_smtpc_want_static FALSE)
foreach(_smtpc_comp IN LISTS smtpc_FIND_COMPONENTS)
  if(_smtpc_comp STREQUAL "static")
    set(_smtpc_want_static TRUE)
  elseif(NOT _smtpc_comp STREQUAL "shared")
    set(smtpc_FOUND FALSE)
    set(smtpc_NOT_FOUND_MESSAGE "unknown component '$${_smtpc_comp}' (smtpc has: shared, static)")
    return()
  endif()
endforeach()

if(NOT TARGET smtpc::smtpc)
  add_library(smtpc::smtpc SHARED IMPORTED)
  set_target_properties(smtpc::smtpc PROPERTIES
    IMPORTED_LOCATION "$${_smtpc_libdir}/$(REALNAME)"
    IMPORTED_SONAME "$(SONAME)"
    INTERFACE_INCLUDE_DIRECTORIES "$${_smtpc_includedir}")
endif()
set(smtpc_shared_FOUND TRUE)

# FindThreads stops the configure when neither C nor C++ is enabled: without
# them the static target (which only a C or C++ program links) is not defined.
get_property(_smtpc_languages GLOBAL PROPERTY ENABLED_LANGUAGES)
list(FIND _smtpc_languages C _smtpc_c)
list(FIND _smtpc_languages CXX _smtpc_cxx)
if(NOT TARGET smtpc::smtpc_static AND (_smtpc_c GREATER -1 OR _smtpc_cxx GREATER -1))
  if(_smtpc_want_static)
    find_dependency(OpenSSL)
    find_dependency(Threads)
  else()
    find_package(OpenSSL QUIET)
    find_package(Threads QUIET)
  endif()
  if(TARGET OpenSSL::SSL AND TARGET OpenSSL::Crypto AND TARGET Threads::Threads)
    add_library(smtpc::smtpc_static STATIC IMPORTED)
    set_target_properties(smtpc::smtpc_static PROPERTIES
      IMPORTED_LOCATION "$${_smtpc_libdir}/libsmtpc.a"
      IMPORTED_LINK_INTERFACE_LANGUAGES "C"
      INTERFACE_INCLUDE_DIRECTORIES "$${_smtpc_includedir}"
      INTERFACE_LINK_LIBRARIES "$(CMAKE_STATIC_DEPS)")
  endif()
endif()
if(TARGET smtpc::smtpc_static)
  set(smtpc_static_FOUND TRUE)
else()
  set(smtpc_static_FOUND FALSE)
  if(_smtpc_want_static)
    set(smtpc_FOUND FALSE)
    set(smtpc_NOT_FOUND_MESSAGE "smtpc::smtpc_static needs the C or CXX language, OpenSSL (libssl-dev) and Threads")
  endif()
endif()

set(smtpc_INCLUDE_DIRS "$${_smtpc_includedir}")
set(smtpc_LIBRARIES smtpc::smtpc)
unset(_smtpc_comp)
unset(_smtpc_languages)
unset(_smtpc_c)
unset(_smtpc_cxx)
unset(_smtpc_want_static)
unset(_smtpc_libdir)
unset(_smtpc_includedir)
endef

define SMTPC_CONFIG_VERSION_CMAKE
# smtpcConfigVersion.cmake for smtpc $(VERSION), written by `make install`.
#
# Compatibility follows the SONAME rule of docs/install.md: a version is
# compatible with the one asked for when it is not older and has the same MAJOR
# and, while MAJOR is 0, the same MINOR (0.1.x serves 0.1 and 0.1.0, not 0.2;
# 1.x serves 1.0 and 1.4). A range (0.1...0.3) must contain this version, and
# its lower end must be of the same series.

set(PACKAGE_VERSION "$(VERSION)")
set(PACKAGE_VERSION_COMPATIBLE FALSE)
set(PACKAGE_VERSION_EXACT FALSE)

if(PACKAGE_FIND_VERSION_RANGE)
  set(_smtpc_min_major "$${PACKAGE_FIND_VERSION_MIN_MAJOR}")
  set(_smtpc_min_minor "$${PACKAGE_FIND_VERSION_MIN_MINOR}")
  set(_smtpc_ok TRUE)
  if(PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION_MIN)
    set(_smtpc_ok FALSE)
  endif()
  if("$${PACKAGE_FIND_VERSION_RANGE_MAX}" STREQUAL "INCLUDE" AND PACKAGE_VERSION VERSION_GREATER PACKAGE_FIND_VERSION_MAX)
    set(_smtpc_ok FALSE)
  endif()
  if("$${PACKAGE_FIND_VERSION_RANGE_MAX}" STREQUAL "EXCLUDE" AND PACKAGE_VERSION VERSION_GREATER_EQUAL PACKAGE_FIND_VERSION_MAX)
    set(_smtpc_ok FALSE)
  endif()
elseif("$${PACKAGE_FIND_VERSION}" STREQUAL "")
  set(_smtpc_ok TRUE)
  set(_smtpc_min_major "$(MAJOR)")
  set(_smtpc_min_minor "$(MINOR)")
else()
  set(_smtpc_min_major "$${PACKAGE_FIND_VERSION_MAJOR}")
  set(_smtpc_min_minor "$${PACKAGE_FIND_VERSION_MINOR}")
  set(_smtpc_ok TRUE)
  if(PACKAGE_VERSION VERSION_LESS PACKAGE_FIND_VERSION)
    set(_smtpc_ok FALSE)
  endif()
  if(PACKAGE_VERSION VERSION_EQUAL PACKAGE_FIND_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
if("$${_smtpc_min_minor}" STREQUAL "")
  set(_smtpc_min_minor 0)
endif()

if(_smtpc_ok AND _smtpc_min_major EQUAL $(MAJOR))
  if($(MAJOR) GREATER 0 OR _smtpc_min_minor EQUAL $(MINOR))
    set(PACKAGE_VERSION_COMPATIBLE TRUE)
  endif()
endif()

# A 64-bit library does not serve a 32-bit build.
if(NOT "$${CMAKE_SIZEOF_VOID_P}" STREQUAL "" AND NOT "$${CMAKE_SIZEOF_VOID_P}" STREQUAL "$(POINTER_BYTES)")
  math(EXPR _smtpc_bits "$(POINTER_BYTES) * 8")
  set(PACKAGE_VERSION "$${PACKAGE_VERSION} ($${_smtpc_bits}bit)")
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
  unset(_smtpc_bits)
endif()

unset(_smtpc_ok)
unset(_smtpc_min_major)
unset(_smtpc_min_minor)
endef

export SMTPC_PC SMTPC_CONFIG_CMAKE SMTPC_CONFIG_VERSION_CMAKE

D_LIB = $(DESTDIR)$(LIBDIR)
D_INC = $(DESTDIR)$(INCLUDEDIR)
D_PC = $(DESTDIR)$(PKGCONFIGDIR)
D_CMAKE = $(DESTDIR)$(CMAKEDIR)

# Run ldconfig when this installs into the live system as root.
run_ldconfig = if [ -z '$(DESTDIR)' ] && [ "$$(id -u)" = 0 ] && command -v '$(firstword $(LDCONFIG))' >/dev/null 2>&1; then $(LDCONFIG) || true; fi

.PHONY: all build install install-files uninstall native-static-libs print-version

all: build

build:
ifeq ($(NO_BUILD),)
	cd '$(ROOT)' && SMTPC_SONAME=1 $(CARGO) build --release
endif
	@test -f '$(RELEASE_DIR)/libsmtpc.so' && test -f '$(RELEASE_DIR)/libsmtpc.a' || \
	    { echo 'smtpc: $(RELEASE_DIR) has no libsmtpc.so / libsmtpc.a; run make first' >&2; exit 1; }

print-version:
	@echo 'version $(VERSION), soname $(SONAME), file $(REALNAME)'

# What rustc says a static link of libsmtpc.a needs, e.g. "-lssl -lcrypto ... -lc".
# The first run builds the crate once more (in $(NATIVE_LIBS_TARGET_DIR));
# later runs only replay cargo's cached compiler output.
native-static-libs:
	@log=$$(mktemp) && \
	if ! (cd '$(ROOT)' && CARGO_TARGET_DIR='$(NATIVE_LIBS_TARGET_DIR)' \
	        $(CARGO) rustc --release --lib --crate-type staticlib -- --print native-static-libs) >"$$log" 2>&1; then \
	    cat "$$log" >&2; rm -f "$$log"; exit 1; \
	fi; \
	libs=$$(sed -n 's/^note: native-static-libs: //p' "$$log" | tail -n 1); rm -f "$$log"; \
	if [ -z "$$libs" ]; then echo 'smtpc: rustc printed no native-static-libs' >&2; exit 1; fi; \
	echo "$$libs"

# The build runs once; the files are installed by a second make that is handed
# the native libraries, so that the text of the generated files can use them.
install: build
	@libs='$(NATIVE_STATIC_LIBS)'; \
	if [ -z "$$libs" ]; then libs=$$($(MAKE) --no-print-directory -s native-static-libs) || exit 1; fi; \
	$(MAKE) --no-print-directory install-files NATIVE_STATIC_LIBS="$$libs"

install-files:
	@if command -v '$(READELF)' >/dev/null 2>&1; then \
	    $(READELF) -d '$(RELEASE_DIR)/libsmtpc.so' | grep -q 'Library soname: \[$(SONAME)\]' || \
	    { echo 'smtpc: $(RELEASE_DIR)/libsmtpc.so does not have the SONAME $(SONAME): build it with make, or SMTPC_SONAME=1 cargo build --release (see build.rs)' >&2; exit 1; }; \
	fi
	$(INSTALL) -d '$(D_LIB)' '$(D_INC)' '$(D_PC)' '$(D_CMAKE)'
	$(INSTALL) -m 0755 '$(RELEASE_DIR)/libsmtpc.so' '$(D_LIB)/$(REALNAME)'
	ln -sfn '$(REALNAME)' '$(D_LIB)/$(SONAME)'
	ln -sfn '$(SONAME)' '$(D_LIB)/$(LINKNAME)'
	$(INSTALL) -m 0644 '$(RELEASE_DIR)/libsmtpc.a' '$(D_LIB)/libsmtpc.a'
	$(INSTALL) -m 0644 $(foreach h,$(HEADERS),'$(h)') '$(D_INC)/'
	printf '%s\n' "$$SMTPC_PC" | sed '/^Requires.private: *$$/d' >'$(D_PC)/smtpc.pc'
	printf '%s\n' "$$SMTPC_CONFIG_CMAKE" >'$(D_CMAKE)/smtpcConfig.cmake'
	printf '%s\n' "$$SMTPC_CONFIG_VERSION_CMAKE" >'$(D_CMAKE)/smtpcConfigVersion.cmake'
	chmod 0644 '$(D_PC)/smtpc.pc' '$(D_CMAKE)/smtpcConfig.cmake' '$(D_CMAKE)/smtpcConfigVersion.cmake'
	@$(run_ldconfig)
	@echo 'smtpc $(VERSION) installed in $(DESTDIR)$(PREFIX) (SONAME $(SONAME))'

# Removes what `make install` of this version put there: the symbolic links only
# while they still point where this version's install made them point.
uninstall:
	rm -f '$(D_LIB)/$(REALNAME)' '$(D_LIB)/libsmtpc.a'
	@for link in '$(D_LIB)/$(SONAME):$(REALNAME)' '$(D_LIB)/$(LINKNAME):$(SONAME)'; do \
	    path=$${link%:*}; want=$${link##*:}; \
	    if [ -L "$$path" ] && [ "$$(readlink "$$path")" = "$$want" ]; then echo "rm -f '$$path'"; rm -f "$$path"; fi; \
	done
	rm -f '$(D_INC)/smtpc.h' '$(D_INC)/smtpc.hpp' '$(D_PC)/smtpc.pc'
	rm -f '$(D_CMAKE)/smtpcConfig.cmake' '$(D_CMAKE)/smtpcConfigVersion.cmake'
	rmdir '$(D_CMAKE)' 2>/dev/null || true
	@$(run_ldconfig)
