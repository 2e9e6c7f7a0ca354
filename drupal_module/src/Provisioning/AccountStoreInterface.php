<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Writes Drupal accounts for the Entra ID import.
 *
 * Values use the library's reverse-mapping keys: name, mail, status (0/1)
 * and fields (field name => scalar). Only the keys present are written.
 */
interface AccountStoreInterface {

  /**
   * The account as ['uid', 'name', 'mail', 'status', 'roles'], or null.
   *
   * @return array{uid: int, name: string, mail: string, status: int, roles: list<string>}|null
   */
  public function load(int $uid): ?array;

  /**
   * Uids of the accounts with this e-mail address (case-insensitive).
   *
   * @return list<int>
   */
  public function findByMail(string $mail): array;

  /**
   * Uids of the accounts with this username (case-insensitive).
   *
   * @return list<int>
   */
  public function findByName(string $name): array;

  /**
   * Creates an account (no password: it signs in through SSO or a
   * password reset).
   *
   * @param array<string, mixed> $values
   *
   * @return int
   *   The new uid.
   */
  public function create(array $values): int;

  /**
   * Writes the given values that differ from the stored ones.
   *
   * @param array<string, mixed> $values
   *
   * @return list<string>
   *   The keys that changed (fields as "fields.<name>"); [] = nothing saved.
   */
  public function update(int $uid, array $values): array;

  /**
   * Blocks the account.
   *
   * @return bool
   *   Whether it was active before.
   */
  public function block(int $uid): bool;

  /**
   * Deletes the account (as Drupal does for any user deletion).
   */
  public function delete(int $uid): void;

  /**
   * Adds and removes roles (one save, only when something changes).
   *
   * @param list<string> $add
   * @param list<string> $remove
   *
   * @return bool
   *   Whether the account was saved.
   */
  public function changeRoles(int $uid, array $add, array $remove): bool;

}
