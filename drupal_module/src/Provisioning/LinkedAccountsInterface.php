<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Lists the linked accounts (a full reconcile of group memberships gives
 * every linked user it does not list no mapped group).
 *
 * Separate from LinkStoreInterface so its other implementations need not
 * list anything.
 */
interface LinkedAccountsInterface {

  /**
   * Every linked Entra object id: uid => object id.
   *
   * @return array<int, string>
   */
  public function linkedEntraIds(): array;

}
