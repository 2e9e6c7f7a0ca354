<?php

declare(strict_types=1);

namespace Drupal\Tests\entra_provisioning\Unit\Provisioning;

use Drupal\entra_provisioning\Provisioning\ClientFactory;
use Drupal\entra_provisioning\Provisioning\ConnectionFields;
use Drupal\Tests\entra_provisioning\Support\Fake\ArrayConfigSource;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeKeyRepository;
use Drupal\Tests\entra_provisioning\Support\Fake\FakeNativeFactory;
use Drupal\Tests\entra_provisioning\Support\Fake\InMemoryState;
use PHPUnit\Framework\TestCase;

/**
 * The library's field names shown as the step 1 form names them.
 */
final class ConnectionFieldsTest extends TestCase {

  /**
   * @return list<string>
   */
  private static function missing(string $credential): array {
    $source = new ArrayConfigSource(ArrayConfigSource::defaults(['connection' => ['credential_type' => $credential]]));

    return (new ClientFactory($source, new InMemoryState(), new FakeKeyRepository(), new FakeNativeFactory()))->missing();
  }

  public function testNoTwoControlsShareALabel(): void {
    // What ConnectionForm shows under each title: Unit\Form\WizardFormsTest.
    $this->assertSame(count(ConnectionFields::TITLES), count(array_unique(ConnectionFields::TITLES)));
  }

  public function testEveryMissingFieldHasALabelAndALink(): void {
    $secret = self::missing('secret');
    $certificate = self::missing('certificate');
    // The library's required fields (entra_describe), in the order step 1 shows them.
    $this->assertSame(['tenant_id', 'client_id', 'client_secret', 'primary_domain'], $secret);
    $this->assertSame(['tenant_id', 'client_id', 'client_certificate.certificate_pem', 'client_certificate.private_key_pem', 'primary_domain'], $certificate);
    foreach (array_unique(array_merge($secret, $certificate)) as $field) {
      $this->assertArrayHasKey($field, ConnectionFields::ELEMENTS, $field);
      $this->assertArrayHasKey(ConnectionFields::ELEMENTS[$field], ConnectionFields::TITLES, $field);
    }

    $this->assertSame([
      ['field' => 'tenant_id', 'label' => 'Tenant ID', 'route' => 'entra_provisioning.connection', 'fragment' => 'edit-tenant-id'],
      ['field' => 'client_id', 'label' => 'Application (client) ID', 'route' => 'entra_provisioning.connection', 'fragment' => 'edit-client-id'],
      ['field' => 'client_certificate.certificate_pem', 'label' => 'Certificate (PEM)', 'route' => 'entra_provisioning.connection', 'fragment' => 'edit-certificate-pem'],
      ['field' => 'client_certificate.private_key_pem', 'label' => 'Private key (PEM)', 'route' => 'entra_provisioning.connection', 'fragment' => 'edit-private-key-pem'],
      ['field' => 'primary_domain', 'label' => 'Tenant primary domain', 'route' => 'entra_provisioning.connection', 'fragment' => 'edit-primary-domain'],
    ], ConnectionFields::labels($certificate));
    $this->assertSame([
      ['label' => 'Client secret', 'route' => 'entra_provisioning.connection', 'fragment' => 'edit-client-secret'],
    ], ConnectionFields::links(['client_secret']));
    $this->assertSame('Tenant ID, Application (client) ID, Client secret, Tenant primary domain', ConnectionFields::describe($secret));
  }

  public function testFieldsStepOneDoesNotHaveKeepTheirName(): void {
    $this->assertSame([['field' => 'write_budget', 'label' => 'write_budget', 'route' => 'entra_provisioning.connection', 'fragment' => NULL]], ConnectionFields::labels(['write_budget']));
    $this->assertSame('Timeout of one Graph request (ms)', ConnectionFields::describe(['timeout_ms']));
    $this->assertSame([], ConnectionFields::labels([]));
  }

  public function testFragmentsFollowHtmlGetId(): void {
    // Html::getId('edit-' . implode('-', #parents)).
    $this->assertSame('edit-timeout-ms', ConnectionFields::fragment('timeout_ms'));
    $this->assertSame('edit-a-b', ConnectionFields::fragment('A__b'));
    $this->assertSame('edit-ab', ConnectionFields::fragment('a]b'));
    $this->assertSame('edit-a-b', ConnectionFields::fragment('a[b'));
    $this->assertSame('edit-ab', ConnectionFields::fragment('a.b'));
  }

}
