<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * The site's roles as the library's group questions need them
 * ("role_facts": whether a role is the administrator role or holds a
 * permission marked "restrict access").
 */
interface RoleFactsInterface {

  /**
   * Every role of the site (a role missing here is unknown to the library,
   * and a rule naming it never takes effect).
   *
   * @return array<string, array{is_admin: bool, restricted: bool}>
   */
  public function facts(): array;

  /**
   * Role id => label, for the form.
   *
   * @return array<string, string>
   */
  public function labels(): array;
}
