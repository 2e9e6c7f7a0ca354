<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Integration\Provisioning;

use Drupal\entra_provisioning\Provisioning\BulkSummary;
use Drupal\entra_provisioning\Provisioning\IdentityMatcher;
use Drupal\entra_provisioning\Provisioning\LinkRecord;
use Drupal\entra_provisioning\Provisioning\ModuleSettings;
use Drupal\entra_provisioning\Provisioning\Outcome;
use Drupal\entra_provisioning\Provisioning\PendingMatch;
use Drupal\Tests\entra_provisioning\Support\EmulatorProcess;
use Drupal\Tests\entra_provisioning\Support\NativeTestCase;

/**
 * Drupal -> Entra identity matching through the module's services, against
 * the REAL library and Graph emulator: an account this site did not create
 * is never linked, changed, disabled or deleted because its UPN or mail
 * matches. Each scenario of the security review is one test.
 */
final class IdentityMatchingEmulatorTest extends NativeTestCase {

  use ProvisioningTestTrait;

  /**
   * Automatic creation with open registration, and every lifecycle option
   * on: the set-up in which a registrant could take over a tenant user.
   *
   * @param array<string, mixed> $config
   */
  private function wireOpenRegistration(EmulatorProcess $emulator, array $config = []): void {
    $this->wire($emulator, array_replace_recursive([
      'provisioning' => ['auto_create' => TRUE],
      'lifecycle' => ['update' => TRUE, 'sync_status' => TRUE, 'on_cancel' => 'disable', 'on_delete' => 'delete'],
    ], $config));
  }

  /**
   * @return array<string, mixed>
   */
  private function entraUser(EmulatorProcess $emulator, string $upn): array {
    $users = $this->emulatorUsersNamed($emulator, $upn);
    $this->assertCount(1, $users, $upn);

    return $users[0];
  }

  /**
   * Requests that wrote to the Entra object $id (PATCH, DELETE, POST).
   *
   * @return list<string>
   */
  private function writesTo(EmulatorProcess $emulator, string $id): array {
    return array_values(array_filter($this->graphCalls($emulator), static fn (string $call): bool => !str_starts_with($call, 'GET ') && str_contains($call, $id)));
  }

  /**
   * Saves a Drupal account change and runs the queue, as the user hooks
   * and the post-response run would.
   */
  private function saveAndRun(int $uid, string $name, int $statusAfter): void {
    $before = $this->users->users[$uid];
    $this->users->users[$uid]['status'] = $statusAfter;
    $this->lifecycle->onUpdate($uid, $name, $before, $this->users->users[$uid]);
    $this->runner->run(10.0);
  }

  public function testARegistrantNamedAdeleIsAPendingMatchAndCannotDisableHer(): void {
    $emulator = $this->startEmulator();
    $this->wireOpenRegistration($emulator);
    $adele = $this->entraUser($emulator, 'adele@contoso.onmicrosoft.com');
    $this->users->add(30, 'adele', 'mallory@evil.example');

    $this->assertTrue($this->lifecycle->onInsert(30, 'adele'));
    $stats = $this->runner->run(10.0);
    $this->assertSame(1, $stats['review'], json_encode($stats) ?: '');
    $this->assertSame(0, $this->queue->count(), 'the item is done: an admin decides now');

    $link = $this->links->load(30);
    $this->assertFalse($link->isLinked());
    $this->assertSame(LinkRecord::RESULT_REVIEW, $link->lastResult);
    $this->assertSame(IdentityMatcher::CODE_PENDING, $link->lastErrorCode);
    $pending = $this->matcher->pending();
    $this->assertCount(1, $pending);
    $this->assertSame(ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA, $pending[0]->direction);
    $this->assertSame($adele['id'], $pending[0]->entraId);
    $this->assertSame('Adele Vance', $pending[0]->candidate['displayName']);
    $this->assertSame('adele@contoso.com', $pending[0]->candidate['mail']);
    $this->assertFalse($pending[0]->candidate['privileged']);
    $this->assertTrue($this->logger->hasWarningThatContains('match pending'));

    // Blocking, cancelling or deleting the registrant reaches nothing.
    $this->saveAndRun(30, 'adele', 0);
    $this->lifecycle->onCancel(30, 'adele', 'user_cancel_block');
    $this->lifecycle->onDelete(30, 'adele');
    $this->runner->run(10.0);
    $this->assertSame([], $this->writesTo($emulator, $adele['id']), 'nothing was ever sent to Adele');
    $now = $this->entraUser($emulator, 'adele@contoso.onmicrosoft.com');
    $this->assertTrue($now['accountEnabled']);
    $this->assertSame('Adele Vance', $now['displayName']);
    $this->assertSame('adele@contoso.com', $now['mail']);
  }

  public function testAnApprovedMatchLinksTheProfileOnlyAndThenCarriesTheLifecycle(): void {
    $emulator = $this->startEmulator();
    $this->wireOpenRegistration($emulator);
    $this->users->add(31, 'adele', 'adele.vance@example.org', ['field_title' => 'CEO']);
    $this->users->users[31]['status'] = 0;
    $outcome = $this->provisioner->provisionNow(31);
    $this->assertSame(Outcome::REVIEW, $outcome->status, $outcome->message);
    $this->assertSame('match_pending', $outcome->result['action']);
    $this->assertSame('Adele Vance', $outcome->result['existing']['displayName']);

    $approved = $this->matcher->approve((int) $outcome->result['match_id']);
    $this->assertSame(Outcome::DONE, $approved->status, $approved->message);
    $link = $this->links->load(31);
    $this->assertTrue($link->isLinked());
    $this->assertSame(LinkRecord::PROVENANCE_APPROVED, $link->provenance);
    $this->assertSame([], $this->matcher->pending());
    $adele = $this->entraUser($emulator, 'adele@contoso.onmicrosoft.com');
    $this->assertSame('adele', $adele['displayName'], 'the profile is brought in step');
    $this->assertSame('adele@contoso.com', $adele['mail'], 'mail is never written by a link');
    $this->assertTrue($adele['accountEnabled'], 'nor accountEnabled, although the account is blocked in Drupal');

    // Approved: deprovisioning now follows the Drupal account.
    $this->users->users[31]['status'] = 1;
    $this->saveAndRun(31, 'adele', 0);
    $this->assertFalse($this->entraUser($emulator, 'adele@contoso.onmicrosoft.com')['accountEnabled']);
  }

  public function testTheAutoPolicyLinksBehindItsGuardsAndAMatchedLinkIsNeverDeprovisioned(): void {
    $emulator = $this->startEmulator();
    $this->wireOpenRegistration($emulator, ['matching' => ['drupal_to_entra' => 'auto']]);
    $adele = $this->entraUser($emulator, 'adele@contoso.onmicrosoft.com');
    $this->users->add(32, 'adele', 'adele.vance@example.org');
    $this->assertTrue($this->lifecycle->onInsert(32, 'adele'));
    $this->assertSame(1, $this->runner->run(10.0)['done']);
    $link = $this->links->load(32);
    $this->assertSame($adele['id'], $link->entraId);
    $this->assertSame(LinkRecord::PROVENANCE_MATCHED, $link->provenance);
    $this->assertSame(['PATCH /v1.0/users/' . $adele['id'] . ' 204'], $this->writesTo($emulator, $adele['id']), 'one PATCH: the profile');

    // Block (status sync on) and cancel (disable): neither is sent for a
    // matched link.
    $this->saveAndRun(32, 'adele', 0);
    $this->lifecycle->onCancel(32, 'adele', 'user_cancel_block');
    $this->runner->run(10.0);
    $this->assertTrue($this->entraUser($emulator, 'adele@contoso.onmicrosoft.com')['accountEnabled']);
    $this->assertTrue($this->logger->hasNoticeThatContains('not sent'));

    // The admin opts in for matched links: now it follows.
    $this->configure(['matching' => ['deprovision_matched' => TRUE]]);
    $this->lifecycle->onCancel(32, 'adele', 'user_cancel_block');
    $this->runner->run(10.0);
    $this->assertFalse($this->entraUser($emulator, 'adele@contoso.onmicrosoft.com')['accountEnabled']);
  }

  public function testAnAdminRoleHolderOrAPrivilegedDrupalAccountIsNeverLinkedAutomatically(): void {
    $emulator = $this->startEmulator();
    $this->wireOpenRegistration($emulator, ['matching' => ['drupal_to_entra' => 'auto']]);
    $emulator->call('PUT', '/_emulator/users/adele@contoso.onmicrosoft.com/directory-roles', ['roles' => ['User Administrator']]);
    $this->users->add(33, 'adele');
    $outcome = $this->provisioner->provisionNow(33);
    $this->assertSame(Outcome::REVIEW, $outcome->status, $outcome->message);
    $this->assertTrue($outcome->result['existing']['privileged']);
    $this->assertStringContainsString('directory (admin) role', implode(' ', $this->matcher->pending()[0]->reasons));

    // uid 1, and an account with a role beyond authenticated.
    $emulator->call('PUT', '/_emulator/users/adele@contoso.onmicrosoft.com/directory-roles', ['roles' => []]);
    $this->users->add(1, 'adele');
    $this->assertSame(Outcome::REVIEW, $this->provisioner->provisionNow(1)->status);
    $this->users->add(34, 'adele');
    $this->users->users[34]['roles'] = ['authenticated', 'editor'];
    $this->assertSame(Outcome::REVIEW, $this->provisioner->provisionNow(34)->status);
    $this->assertNull($this->links->loadByEntraId($this->entraUser($emulator, 'adele@contoso.onmicrosoft.com')['id']));
  }

  public function testNamesThatMapToOneUpnNeverShareAnEntraAccount(): void {
    $emulator = $this->startEmulator();
    $this->wireOpenRegistration($emulator, ['matching' => ['drupal_to_entra' => 'auto']]);
    $this->users->add(40, 'Jane Doe', 'jane@company.example');
    $this->assertSame('created', $this->provisioner->provisionNow(40)->result['action']);
    $jane = $this->links->load(40)->entraId;
    foreach ([41 => 'jane@doe', 42 => 'jané.doe'] as $uid => $name) {
      $this->users->add($uid, $name, $uid . '@example.org');
      $outcome = $this->provisioner->provisionNow($uid);
      $this->assertSame(Outcome::FAILED, $outcome->status, $name . ': ' . $outcome->message);
      $this->assertSame(IdentityMatcher::CODE_REFUSED, $this->links->load($uid)->lastErrorCode);
      $this->assertStringContainsString('uid 40', $outcome->message);
      // Blocking the colliding account reaches nothing.
      $this->saveAndRun($uid, $name, 0);
    }
    $writes = array_values(array_filter($this->graphCalls($emulator), static fn (string $c): bool => str_starts_with($c, 'PATCH ') || str_starts_with($c, 'DELETE ')));
    $this->assertSame([], $writes, 'Jane\'s account was never written to');
    $this->assertTrue($this->entraUser($emulator, 'Jane.Doe@contoso.onmicrosoft.com')['accountEnabled']);
    $this->assertSame($jane, $this->links->load(40)->entraId);
    $this->assertSame([], $this->matcher->pending(), 'a refused pair is not offered for approval');
  }

  public function testUpnsFromTheMailCollideAcrossDomainsAndAreRefused(): void {
    $emulator = $this->startEmulator();
    $this->wireOpenRegistration($emulator, ['mapping' => ['upn_source' => 'mail']]);
    $this->users->add(50, 'jane1', 'jane@company.example');
    $this->users->add(51, 'jane2', 'jane@gmail.example');
    $this->assertSame(Outcome::DONE, $this->provisioner->provisionNow(50)->status);
    $second = $this->provisioner->provisionNow(51);
    $this->assertSame(Outcome::FAILED, $second->status, $second->message);
    $this->assertSame(IdentityMatcher::CODE_REFUSED, $this->links->load(51)->lastErrorCode);
    $this->assertFalse($this->links->load(51)->isLinked());
  }

  public function testARejectedMatchIsNotProposedAgain(): void {
    $emulator = $this->startEmulator();
    $this->wireOpenRegistration($emulator);
    $this->users->add(60, 'adele');
    $outcome = $this->provisioner->provisionNow(60);
    $id = (int) $outcome->result['match_id'];
    $this->assertSame(Outcome::DONE, $this->matcher->reject($id)->status);
    $this->assertSame(PendingMatch::STATUS_REJECTED, $this->matches->load($id)->status);
    $this->assertSame(IdentityMatcher::CODE_REJECTED, $this->links->load(60)->lastErrorCode);
    $logged = count($this->logger->records);
    $again = $this->provisioner->provisionNow(60);
    $this->assertSame(Outcome::FAILED, $again->status);
    $this->assertStringContainsString('rejected', $again->message);
    $this->assertSame([], $this->matcher->pending());
    $later = array_slice($this->logger->records, $logged);
    $this->assertSame([], array_filter($later, static fn (array $r): bool => str_contains((string) $r['message'], 'match pending')), 'not proposed again');
    $this->assertSame(Outcome::FAILED, $this->matcher->approve($id)->status, 'a rejected match cannot be approved');
  }

  public function testBulkCountsPendingMatchesAndWritesNothingToTheExistingAccount(): void {
    $emulator = $this->startEmulator();
    $this->wireOpenRegistration($emulator);
    $adele = $this->entraUser($emulator, 'adele@contoso.onmicrosoft.com');
    $this->users->add(70, 'newcomer');
    $this->users->add(71, 'adele');
    $summary = $this->bulk->run([70, 71], 100);
    $this->assertSame(1, $summary->counts[BulkSummary::CREATED]);
    $this->assertSame(1, $summary->counts[BulkSummary::REVIEW], $summary->summary());
    $this->assertSame(0, $summary->exitCode(), 'a pending match is not a failure');
    $this->assertSame([], $this->writesTo($emulator, $adele['id']));
    $this->assertSame(LinkRecord::RESULT_REVIEW, $this->links->load(71)->lastResult);
  }

  public function testMoreRemovalsThanTheThresholdWithinAnHourAreHeldUntilReleased(): void {
    $emulator = $this->startEmulator();
    $this->wireOpenRegistration($emulator, ['matching' => ['removal_threshold' => 2]]);
    foreach ([80, 81, 82] as $uid) {
      $this->users->add($uid, 'leaver' . $uid);
      $this->assertSame('created', $this->provisioner->provisionNow($uid)->result['action']);
    }
    foreach ([80, 81, 82] as $uid) {
      $this->lifecycle->onCancel($uid, 'leaver' . $uid, 'user_cancel_block');
    }
    $this->runner->run(10.0);
    $enabled = static fn (array $u): bool => (bool) $u['accountEnabled'];
    $this->assertFalse($enabled($this->entraUser($emulator, 'leaver80@contoso.onmicrosoft.com')));
    $this->assertFalse($enabled($this->entraUser($emulator, 'leaver81@contoso.onmicrosoft.com')));
    $this->assertTrue($enabled($this->entraUser($emulator, 'leaver82@contoso.onmicrosoft.com')), 'the third is held');
    $this->assertSame(1, $this->removalGuard->countHeld()[ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA]);
    $this->assertTrue($this->logger->hasWarningThatContains('is held'));

    $this->assertSame(1, $this->provisioner->releaseHeldRemovals());
    $this->runner->run(10.0);
    $this->assertFalse($enabled($this->entraUser($emulator, 'leaver82@contoso.onmicrosoft.com')), 'released by the admin');
    $this->assertSame(0, $this->removalGuard->countHeld()[ModuleSettings::DIRECTION_DRUPAL_TO_ENTRA]);
  }

}
