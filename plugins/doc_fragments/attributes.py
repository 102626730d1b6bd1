# -*- coding: utf-8 -*-
# Copyright: kubebin developers
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""The attributes every kubebin module shares, as in ansible.builtin.action_common_attributes.

A module adds its own description to an attribute where it says more (a merge keeps the module's keys).
"""

from __future__ import annotations


class ModuleDocFragment:
    # kubebin.cluster.attributes: full check mode and diff mode.
    DOCUMENTATION = r"""
attributes:
  check_mode:
    support: full
    description: Reports what would change without writing anything.
  diff_mode:
    support: full
    description: Shows what would change, before and after.
"""

    # kubebin.cluster.attributes.read_only: a module that changes nothing.
    READ_ONLY = r"""
attributes:
  check_mode:
    support: full
    description: Reads only, the same in check mode.
  diff_mode:
    support: none
    description: Reports no diff; it changes nothing.
"""

    # kubebin.cluster.attributes.posix: runs on POSIX hosts.
    POSIX = r"""
attributes:
  platform:
    support: full
    platforms: posix
    description: Runs on POSIX hosts.
"""
