<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Drupal;

use Drupal\Core\Entity\EntityStorageInterface;
use Drupal\Core\Entity\EntityTypeManagerInterface;
use Drupal\entra_provisioning\Provisioning\AccountStoreInterface;
use Drupal\user\UserInterface;

/**
 * Writes user entities for the Entra ID import.
 *
 * Accounts are saved without entity validation, as other account
 * provisioning modules do (externalauth): the values come from the
 * library's reverse mapping (usernames already reduced to what Drupal
 * accepts) and the importer checks name and e-mail uniqueness itself.
 */
final class DrupalAccountStore implements AccountStoreInterface {

  public function __construct(
    private EntityTypeManagerInterface $entityTypeManager
  ) {
  }

  private function storage(): EntityStorageInterface {
    return $this->entityTypeManager->getStorage('user');
  }

  private function account(int $uid): ?UserInterface {
    $account = $this->storage()->load($uid);

    return $account instanceof UserInterface && !$account->isAnonymous() ? $account : NULL;
  }

  public function load(int $uid): ?array {
    $account = $this->account($uid);
    if ($account === NULL) {
      return NULL;
    }

    return [
      'uid' => (int) $account->id(),
      'name' => (string) $account->getAccountName(),
      'mail' => (string) $account->getEmail(),
      'status' => $account->isActive() ? 1 : 0,
      'roles' => array_values($account->getRoles()),
    ];
  }

  public function findByMail(string $mail): array {
    return $this->find('mail', $mail);
  }

  public function findByName(string $name): array {
    return $this->find('name', $name);
  }

  /**
   * @return list<int>
   */
  private function find(string $field, string $value): array {
    if ($value === '') {
      return [];
    }
    // Entity queries compare these fields case-insensitively.
    $ids = $this->storage()->getQuery()
      ->accessCheck(FALSE)
      ->condition($field, $value)
      ->condition('uid', 0, '>')
      ->range(0, 10)
      ->execute();

    return array_values(array_map('intval', $ids));
  }

  public function create(array $values): int {
    $mail = (string) ($values['mail'] ?? '');
    /** @var \Drupal\user\UserInterface $account */
    $account = $this->storage()->create([
      'name' => (string) $values['name'],
      'mail' => $mail,
      'init' => $mail,
      'status' => empty($values['status']) ? 0 : 1,
    ]);
    $this->setFields($account, is_array($values['fields'] ?? NULL) ? $values['fields'] : []);
    $account->enforceIsNew();
    $account->save();

    return (int) $account->id();
  }

  public function update(int $uid, array $values): array {
    $account = $this->account($uid);
    if ($account === NULL) {
      throw new \RuntimeException(sprintf('There is no Drupal account with uid %d.', $uid));
    }
    $changed = [];
    if (isset($values['name']) && (string) $values['name'] !== $account->getAccountName()) {
      $account->setUsername((string) $values['name']);
      $changed[] = 'name';
    }
    if (isset($values['mail']) && (string) $values['mail'] !== (string) $account->getEmail()) {
      $account->setEmail((string) $values['mail']);
      $changed[] = 'mail';
    }
    if (array_key_exists('status', $values) && $values['status'] !== NULL) {
      $active = !empty($values['status']);
      if ($active !== $account->isActive()) {
        $active ? $account->activate() : $account->block();
        $changed[] = 'status';
      }
    }
    foreach ($this->setFields($account, is_array($values['fields'] ?? NULL) ? $values['fields'] : []) as $field) {
      $changed[] = 'fields.' . $field;
    }
    if ($changed !== []) {
      $account->save();
    }

    return $changed;
  }

  public function changeRoles(int $uid, array $add, array $remove): bool {
    $account = $this->account($uid);
    if ($account === NULL || $uid === 1) {
      return FALSE;
    }
    $changed = FALSE;
    foreach ($add as $role) {
      if (!$account->hasRole($role)) {
        $account->addRole($role);
        $changed = TRUE;
      }
    }
    foreach ($remove as $role) {
      if ($account->hasRole($role)) {
        $account->removeRole($role);
        $changed = TRUE;
      }
    }
    if ($changed) {
      $account->save();
    }

    return $changed;
  }

  public function block(int $uid): bool {
    $account = $this->account($uid);
    if ($account === NULL || $account->isBlocked()) {
      return FALSE;
    }
    $account->block();
    $account->save();

    return TRUE;
  }

  public function delete(int $uid): void {
    $this->account($uid)?->delete();
  }

  /**
   * Sets the mapped fields the account has; returns the names that changed.
   *
   * @param array<string, mixed> $fields
   *
   * @return list<string>
   */
  private function setFields(UserInterface $account, array $fields): array {
    $changed = [];
    foreach ($fields as $name => $value) {
      $name = (string) $name;
      if (!$account->hasField($name) || (!is_scalar($value) && $value !== NULL)) {
        continue;
      }
      $list = $account->get($name);
      $property = $list->getFieldDefinition()->getFieldStorageDefinition()->getMainPropertyName();
      $current = $list->isEmpty() || $property === NULL ? NULL : ($list->first()?->getValue()[$property] ?? NULL);
      if ((string) $current === (string) $value && ($current === NULL) === ($value === NULL)) {
        continue;
      }
      $account->set($name, $value);
      $changed[] = $name;
    }

    return $changed;
  }

}
