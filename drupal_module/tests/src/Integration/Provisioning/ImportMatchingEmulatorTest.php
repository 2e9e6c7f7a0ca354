<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Provisioning\ImportReport;
use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\entra_provisioning\Provisioning\Outcome;
use Drupal\entra_provisioning\Provisioning\PendingMatch;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * Entra -> Drupal identity matching through the module's services, against
 * the REAL library and Graph emulator. Entra's "mail" is not verified (user
 * and Exchange admins, apps with User.ReadWrite.All and guest invitations
 * set it), so a matching mail never takes over a Drupal account: each attack
 * the security review proved is one test.
 */
final class ImportMatchingEmulatorTest extends NativeTestCase {

  use ProvisioningTestTrait;

  /**
   * The import on, removals deleting Drupal accounts once Entra deleted
   * the user for good (the harshest policy).
   *
   * @param array<string, mixed> $config
   */
  private function wireImport(EmulatorProcess $emulator, array $config = []): void {
    $this->wire($emulator, array_replace_recursive([
      'direction' => ['drupal_to_entra' => FALSE, 'entra_to_drupal' => TRUE],
      'import' => ['removed' => 'delete'],
    ], $config));
  }

  /**
   * A Graph call with the app's own token (what a tenant admin or another
   * app with User.ReadWrite.All can do to the Entra user).
   *
   * @param array<string, mixed>|null $body
   */
  private function graph(EmulatorProcess $emulator, string $method, string $path, ?array $body = NULL): int {
    return $emulator->graphAsApp($method, $path, $body)[0];
  }

  private function entraUser(EmulatorProcess $emulator, string $upn, string $mail): string {
    $user = $emulator->call('POST', '/_emulator/users', ['userPrincipalName' => $upn, 'displayName' => $upn, 'mail' => $mail]);

    return (string) ($user['id'] ?? $this->emulatorUsersNamed($emulator, $upn)[0]['id']);
  }

  /**
   * Soft delete, then delete for good.
   */
  private function hardDelete(EmulatorProcess $emulator, string $id): void {
    $this->assertSame(204, $this->graph($emulator, 'DELETE', '/v1.0/users/' . $id));
    $this->assertSame(204, $this->graph($emulator, 'DELETE', '/v1.0/directory/deletedItems/' . $id));
  }

  /**
   * @return list<string>
   *   Both matching policies.
   */
  private static function policies(): array {
    return [ModuleSettings::MATCH_REVIEW, ModuleSettings::MATCH_AUTO];
  }

  public function testUidOneIsNeverMatchedByMailUnderAnyPolicy(): void {
    foreach (self::policies() as $policy) {
      $emulator = $this->startEmulator();
      $this->wireImport($emulator, ['matching' => ['entra_to_drupal' => $policy]]);
      $this->accounts->add(1, 'admin', 'admin@site.example', 1, [], ['administrator']);
      // Someone sets an Entra user's unverified mail to uid 1's address.
      $this->entraUser($emulator, 'mallory@contoso.onmicrosoft.com', 'admin@site.example');
      $report = $this->importer->run();
      $this->assertSame(1, $report->counts[ImportReport::CONFLICT], $policy);
      $this->assertNull($this->links->load(1), $policy . ': uid 1 is not linked');
      $this->assertSame(['uid' => 1, 'name' => 'admin', 'mail' => 'admin@site.example', 'status' => 1, 'fields' => [], 'roles' => ['authenticated', 'administrator']], $this->accounts->accounts[1], $policy);
      $this->assertSame([], $this->matcher->pending(), $policy . ': not even offered for approval');
      $refused = $this->matches->byStatus(PendingMatch::STATUS_REFUSED);
      $this->assertCount(1, $refused);
      $this->assertSame(Outcome::FAILED, $this->matcher->approve($refused[0]->id)->status, 'a refused pair cannot be approved');
      // Logged once, not every round.
      $this->importer->run(TRUE);
      $logged = array_filter($this->logger->records, static fn (array $r): bool => str_contains((string) $r['message'], 'is never linked to it'));
      $this->assertCount(1, $logged, $policy);
    }
  }

  public function testABlockedExAdminIsNeverMatchedAutomaticallyNorUnblocked(): void {
    $emulator = $this->startEmulator();
    $this->wireImport($emulator, ['matching' => ['entra_to_drupal' => ModuleSettings::MATCH_AUTO]]);
    $this->accounts->add(7, 'former.admin', 'former@site.example', 0, [], ['administrator']);
    $this->entraUser($emulator, 'former@contoso.onmicrosoft.com', 'former@site.example');
    $report = $this->importer->run();
    $this->assertSame(1, $report->counts[ImportReport::REVIEW]);
    $this->assertSame(0, $this->accounts->accounts[7]['status'], 'still blocked');
    $this->assertNull($this->links->load(7));
    $reasons = implode(' ', $this->matcher->pending()[0]->reasons);
    $this->assertStringContainsString('blocked', $reasons);
    $this->assertStringContainsString('role beyond authenticated', $reasons);
  }

  public function testAnAttackersMailChangeNeverReachesAMatchedAccount(): void {
    $emulator = $this->startEmulator();
    $this->wireImport($emulator, ['matching' => ['entra_to_drupal' => ModuleSettings::MATCH_AUTO]]);
    $this->accounts->add(8, 'bob', 'bob@site.example');
    $bob = $this->entraUser($emulator, 'bob@contoso.onmicrosoft.com', 'bob@site.example');
    $this->assertSame(1, $this->importer->run()->counts[ImportReport::LINKED]);
    $this->assertSame(LinkRecord::PROVENANCE_MATCHED, $this->links->load(8)->provenance);

    // The Entra mail (and the name it implies) changes, and the user is
    // disabled: nothing of it reaches a matched account.
    $this->assertSame(204, $this->graph($emulator, 'PATCH', '/v1.0/users/' . $bob, ['mail' => 'attacker@evil.example', 'accountEnabled' => FALSE]));
    $report = $this->importer->run();
    $this->assertSame('bob@site.example', $this->accounts->accounts[8]['mail']);
    $this->assertSame(1, $this->accounts->accounts[8]['status']);
    $this->assertStringContainsString('Not written', implode(' ', array_column($report->rows, 'detail')));

    // A password reset can therefore never be sent to the attacker. With
    // the opt-in for matched links, mail and status follow.
    $this->configure(['matching' => ['deprovision_matched' => TRUE]]);
    $this->importer->run(TRUE);
    $this->assertSame('attacker@evil.example', $this->accounts->accounts[8]['mail']);
    $this->assertSame(0, $this->accounts->accounts[8]['status']);
  }

  public function testAHardDeleteInEntraNeverDeletesUidOneOrAMatchedAccount(): void {
    $emulator = $this->startEmulator();
    $this->wireImport($emulator, ['matching' => ['entra_to_drupal' => ModuleSettings::MATCH_AUTO]]);
    // uid 1 linked with the strongest provenance (this site created its
    // Entra account), and a plain account matched automatically.
    $this->accounts->add(1, 'admin', 'admin@site.example', 1, [], ['administrator']);
    $root = $this->entraUser($emulator, 'admin@contoso.onmicrosoft.com', 'admin@contoso.com');
    $this->links->save(LinkRecord::succeeded(NULL, 1, 'created', $root, 'admin@contoso.onmicrosoft.com', NULL, 1, LinkRecord::PROVENANCE_CREATED));
    $this->accounts->add(9, 'carla', 'carla@site.example');
    $carla = $this->entraUser($emulator, 'carla@contoso.onmicrosoft.com', 'carla@site.example');
    $this->importer->run();
    $this->assertSame(LinkRecord::PROVENANCE_MATCHED, $this->links->load(9)->provenance);

    $this->hardDelete($emulator, $root);
    $this->hardDelete($emulator, $carla);
    $this->importer->run();
    $this->assertArrayHasKey(1, $this->accounts->accounts, 'uid 1 and its content stay');
    $this->assertSame(1, $this->accounts->accounts[1]['status']);
    $this->assertArrayHasKey(9, $this->accounts->accounts, 'a matched account is not deleted');
    $this->assertSame(1, $this->accounts->accounts[9]['status']);
  }

  public function testMoreRemovalsInARoundThanTheThresholdAreAllHeldUntilReleased(): void {
    $emulator = $this->startEmulator([], FALSE);
    $this->wireImport($emulator, ['matching' => ['removal_threshold' => 3], 'import' => ['removed' => 'block']]);
    $ids = [];
    for ($i = 1; $i <= 4; $i++) {
      $ids[$i] = $this->entraUser($emulator, sprintf('staff%d@contoso.onmicrosoft.com', $i), sprintf('staff%d@contoso.com', $i));
    }
    $this->assertSame(4, $this->importer->run()->counts[ImportReport::CREATED]);
    foreach ($ids as $id) {
      $this->assertSame(204, $this->graph($emulator, 'DELETE', '/v1.0/users/' . $id));
    }
    $report = $this->importer->run();
    $this->assertSame(4, $report->heldRemovals);
    $this->assertSame(4, $report->counts[ImportReport::HELD]);
    foreach ($this->accounts->accounts as $account) {
      $this->assertSame(1, $account['status'], 'none blocked: the round is held');
    }
    $this->assertTrue($this->logger->hasWarningThatContains('more than the threshold'));
    $this->assertSame(4, $this->removalGuard->countHeld()[ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL]);

    $released = $this->importer->releaseHeldRemovals();
    $this->assertSame([ImportReport::BLOCKED => 4], $released);
    foreach ($this->accounts->accounts as $account) {
      $this->assertSame(0, $account['status']);
    }
    $this->assertSame(0, $this->removalGuard->countHeld()[ModuleSettings::DIRECTION_ENTRA_TO_DRUPAL]);
  }

  public function testARoundBelowTheThresholdRemovesAndARestoreBeforeTheEndKeepsTheAccount(): void {
    $emulator = $this->startEmulator();
    $this->wireImport($emulator, ['import' => ['removed' => 'block', 'pages_per_call' => 1]]);
    $gone = $this->entraUser($emulator, 'gone@contoso.onmicrosoft.com', 'gone@contoso.com');
    $back = $this->entraUser($emulator, 'back@contoso.onmicrosoft.com', 'back@contoso.com');
    $this->importer->run();
    $this->graph($emulator, 'DELETE', '/v1.0/users/' . $gone);
    $this->graph($emulator, 'DELETE', '/v1.0/users/' . $back);
    $this->graph($emulator, 'POST', '/v1.0/directory/deletedItems/' . $back . '/restore');
    $this->importer->run();
    $gonePerson = $this->links->loadByEntraId($gone);
    $this->assertSame(0, $this->accounts->accounts[$gonePerson->uid]['status']);
    $this->assertSame(1, $this->accounts->accounts[$this->links->loadByEntraId($back)->uid]['status']);
  }

  public function testAnUnchangedImportWritesOneLogRow(): void {
    $emulator = $this->startEmulator();
    for ($i = 1; $i <= 30; $i++) {
      $this->entraUser($emulator, sprintf('quiet%02d@contoso.onmicrosoft.com', $i), sprintf('quiet%02d@contoso.com', $i));
    }
    $this->wireImport($emulator);
    $first = $this->importer->run();
    $this->assertSame(31, $first->counts[ImportReport::CREATED]);
    $this->assertCount(32, $this->logger->records, 'one row per created account, one summary');
    $this->logger->reset();
    $again = $this->importer->run(TRUE);
    $this->assertSame(31, $again->counts[ImportReport::UNCHANGED]);
    $this->assertCount(1, $this->logger->records, json_encode(array_column($this->logger->records, 'message')) ?: '');
    $this->assertStringContainsString('31 unchanged', (string) $this->logger->records[0]['context']['@summary']);
  }

}
