<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Support\Fake;

use Drupal\entra_provisioning\Provisioning\AccountStoreInterface;

/**
 * Drupal accounts in memory. Like Drupal, every write "fires the user hooks":
 * the $onInsert/$onUpdate/$onDelete callbacks get what UserHooks would pass
 * to Lifecycle, so a test can check that the import never echoes back.
 */
final class InMemoryAccountStore implements AccountStoreInterface {

  /**
   * uid => ['uid', 'name', 'mail', 'status', 'fields', 'roles'].
   *
   * @var array<int, array{uid: int, name: string, mail: string, status: int, fields: array<string, mixed>, roles?: list<string>}>
   */
  public array $accounts = [];

  /**
   * @var (callable(int, string): void)|null
   */
  public $onInsert = NULL;

  /**
   * @var (callable(int, string, array<string, mixed>, array<string, mixed>): void)|null
   */
  public $onUpdate = NULL;

  /**
   * @var (callable(int, string): void)|null
   */
  public $onDelete = NULL;

  private int $nextUid = 100;

  /**
   * @param array<string, mixed> $fields
   * @param list<string> $roles
   *   Besides "authenticated", which every account has.
   */
  public function add(int $uid, string $name, string $mail, int $status = 1, array $fields = [], array $roles = []): void {
    $this->accounts[$uid] = ['uid' => $uid, 'name' => $name, 'mail' => $mail, 'status' => $status, 'fields' => $fields, 'roles' => array_merge(['authenticated'], $roles)];
    $this->nextUid = max($this->nextUid, $uid + 1);
  }

  public function load(int $uid): ?array {
    $a = $this->accounts[$uid] ?? NULL;

    return $a === NULL ? NULL : ['uid' => $a['uid'], 'name' => $a['name'], 'mail' => $a['mail'], 'status' => $a['status'], 'roles' => $a['roles'] ?? ['authenticated']];
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
  private function find(string $key, string $value): array {
    $uids = [];
    foreach ($this->accounts as $uid => $account) {
      if ($value !== '' && mb_strtolower($account[$key]) === mb_strtolower($value)) {
        $uids[] = $uid;
      }
    }

    return $uids;
  }

  public function create(array $values): int {
    $uid = $this->nextUid++;
    $this->accounts[$uid] = [
      'uid' => $uid,
      'name' => (string) $values['name'],
      'mail' => (string) ($values['mail'] ?? ''),
      'status' => empty($values['status']) ? 0 : 1,
      'fields' => is_array($values['fields'] ?? NULL) ? $values['fields'] : [],
    ];
    if ($this->onInsert !== NULL) {
      ($this->onInsert)($uid, $this->accounts[$uid]['name']);
    }

    return $uid;
  }

  public function update(int $uid, array $values): array {
    $before = $this->accounts[$uid] ?? NULL;
    if ($before === NULL) {
      throw new \RuntimeException(sprintf('There is no Drupal account with uid %d.', $uid));
    }
    $after = $before;
    $changed = [];
    foreach (['name', 'mail'] as $key) {
      if (isset($values[$key]) && (string) $values[$key] !== $before[$key]) {
        $after[$key] = (string) $values[$key];
        $changed[] = $key;
      }
    }
    if (array_key_exists('status', $values) && $values['status'] !== NULL && (empty($values['status']) ? 0 : 1) !== $before['status']) {
      $after['status'] = empty($values['status']) ? 0 : 1;
      $changed[] = 'status';
    }
    foreach (is_array($values['fields'] ?? NULL) ? $values['fields'] : [] as $field => $value) {
      if (($before['fields'][$field] ?? NULL) !== $value) {
        $after['fields'][$field] = $value;
        $changed[] = 'fields.' . $field;
      }
    }
    if ($changed !== []) {
      $this->save($before, $after);
    }

    return $changed;
  }

  public function changeRoles(int $uid, array $add, array $remove): bool {
    $before = $this->accounts[$uid] ?? NULL;
    if ($before === NULL || $uid === 1) {
      return FALSE;
    }
    $roles = $before['roles'] ?? ['authenticated'];
    $after = array_values(array_diff(array_values(array_unique(array_merge($roles, $add))), $remove));
    if ($after === $roles) {
      return FALSE;
    }
    $this->save($before, ['roles' => $after] + $before);

    return TRUE;
  }

  public function block(int $uid): bool {
    $before = $this->accounts[$uid] ?? NULL;
    if ($before === NULL || $before['status'] === 0) {
      return FALSE;
    }
    $this->save($before, ['status' => 0] + $before);

    return TRUE;
  }

  public function delete(int $uid): void {
    $account = $this->accounts[$uid] ?? NULL;
    unset($this->accounts[$uid]);
    if ($account !== NULL && $this->onDelete !== NULL) {
      ($this->onDelete)($uid, $account['name']);
    }
  }

  /**
   * @param array<string, mixed> $before
   * @param array<string, mixed> $after
   */
  private function save(array $before, array $after): void {
    $this->accounts[$before['uid']] = $after;
    if ($this->onUpdate !== NULL) {
      ($this->onUpdate)($before['uid'], $after['name'], $before, $after);
    }
  }

}
