<?php

declare(strict_types=1);

namespace Drupal\entra_provisioning\Provisioning;

/**
 * Plans the write of imported values to one Drupal account: what differs,
 * and what cannot be written because another account already uses it.
 *
 * Which values may be written at all is the library's decision
 * (entra_decide "import_write": provenance, uid 1); this class only keeps
 * Drupal's own rules: usernames and e-mail addresses are unique, and an
 * Entra user without mail never blanks the Drupal address (Drupal needs it
 * for password resets and notifications).
 */
final class AccountWriter {

  public function __construct(private AccountStoreInterface $accounts) {
  }

  /**
   * @param array{uid: int, name: string, mail: string, status: int} $account
   * @param array<string, mixed> $values
   *   Allowed reverse-mapped values: name, mail, status, fields.
   *
   * @return array{write: array<string, mixed>, conflicts: list<string>}
   */
  public function plan(array $account, array $values): array {
    $uid = $account['uid'];
    $write = [];
    $conflicts = [];
    $name = isset($values['name']) && is_string($values['name']) && $values['name'] !== '' ? $values['name'] : NULL;
    if ($name !== NULL && $name !== $account['name']) {
      $owners = strcasecmp($name, $account['name']) === 0 ? [] : array_values(array_diff($this->accounts->findByName($name), [$uid]));
      if ($owners !== []) {
        $conflicts[] = sprintf('Username "%s" is taken by uid %d; the username of uid %d is left as "%s".', $name, $owners[0], $uid, $account['name']);
      }
      else {
        $write['name'] = $name;
      }
    }
    $mail = isset($values['mail']) && is_string($values['mail']) && $values['mail'] !== '' ? $values['mail'] : NULL;
    if ($mail !== NULL && strcasecmp($mail, $account['mail']) !== 0) {
      $owners = array_values(array_diff($this->accounts->findByMail($mail), [$uid]));
      if ($owners !== []) {
        $conflicts[] = sprintf('E-mail address %s is used by uid %d; the address of uid %d is left unchanged.', $mail, $owners[0], $uid);
      }
      else {
        $write['mail'] = $mail;
      }
    }
    if (array_key_exists('status', $values) && $values['status'] !== NULL) {
      $write['status'] = empty($values['status']) ? 0 : 1;
    }
    if (isset($values['fields']) && is_array($values['fields']) && $values['fields'] !== []) {
      $write['fields'] = $values['fields'];
    }

    return ['write' => $write, 'conflicts' => $conflicts];
  }

  /**
   * The keys of a planned write that differ from the account (for a dry
   * run, which writes nothing).
   *
   * @param array{uid: int, name: string, mail: string, status: int} $account
   * @param array<string, mixed> $write
   *
   * @return list<string>
   */
  public static function wouldChange(array $account, array $write): array {
    return array_keys(array_filter([
      'name' => isset($write['name']),
      'mail' => isset($write['mail']),
      'status' => isset($write['status']) && $write['status'] !== (int) $account['status'],
      'fields' => isset($write['fields']),
    ]));
  }

}
